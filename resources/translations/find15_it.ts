<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<!-- Italian strings of the command palette, message search and shortcut cheat sheet (find15).
     Compile with: python -m convos_desktop.ui.i18n find15_it.ts -->
<TS version="2.1" language="it_IT" sourcelanguage="en_US">
<context>
    <name>CommandCenter</name>
    <message>
        <source>Close the palette, the search or this sheet</source>
        <translation>Chiudi la tavolozza, la ricerca o questo elenco</translation>
    </message>
    <message>
        <source>Command palette</source>
        <translation>Tavolozza dei comandi</translation>
    </message>
    <message>
        <source>Enter</source>
        <translation>Invio</translation>
    </message>
    <message>
        <source>Esc</source>
        <translation>Esc</translation>
    </message>
    <message>
        <source>Keyboard shortcuts (outside a text field)</source>
        <translation>Tasti rapidi (fuori da un campo di testo)</translation>
    </message>
    <message>
        <source>Keyboard shortcuts</source>
        <translation>Tasti rapidi</translation>
    </message>
    <message>
        <source>Palette and search: move in the list</source>
        <translation>Tavolozza e ricerca: spostati nell'elenco</translation>
    </message>
    <message>
        <source>Palette and search: open the selected entry</source>
        <translation>Tavolozza e ricerca: apri la voce selezionata</translation>
    </message>
    <message>
        <source>Search messages…</source>
        <translation>Cerca nei messaggi…</translation>
    </message>
    <message>
        <source>This conversation has no ticket to open it in.</source>
        <translation>Questa conversazione non ha un ticket in cui aprirla.</translation>
    </message>
    <message>
        <source>Ticket #{id}</source>
        <translation>Ticket #{id}</translation>
    </message>
    <message>
        <source>open ticket #{id}</source>
        <translation>ticket aperto #{id}</translation>
    </message>
</context>
<context>
    <name>CommandPalette</name>
    <message>
        <source>Action</source>
        <translation>Azione</translation>
    </message>
    <message>
        <source>Command palette</source>
        <translation>Tavolozza dei comandi</translation>
    </message>
    <message>
        <source>Command</source>
        <translation>Comando</translation>
    </message>
    <message>
        <source>Contact</source>
        <translation>Contatto</translation>
    </message>
    <message>
        <source>Matching commands</source>
        <translation>Comandi trovati</translation>
    </message>
    <message>
        <source>Screen</source>
        <translation>Schermata</translation>
    </message>
    <message>
        <source>Ticket</source>
        <translation>Ticket</translation>
    </message>
    <message>
        <source>Type a command, a screen, a ticket or a contact</source>
        <translation>Scrivi un comando, una schermata, un ticket o un contatto</translation>
    </message>
</context>
<context>
    <name>MessageSearchDialog</name>
    <message>
        <source>Every conversation you may see, on the server</source>
        <translation>Tutte le conversazioni che puoi vedere, sul server</translation>
    </message>
    <message>
        <source>In the &amp;workspace</source>
        <translation>Nello spazio di &amp;lavoro</translation>
    </message>
    <message>
        <source>Messages found</source>
        <translation>Messaggi trovati</translation>
    </message>
    <message>
        <source>More results</source>
        <translation>Altri risultati</translation>
    </message>
    <message>
        <source>No message contains these words</source>
        <translation>Nessun messaggio contiene queste parole</translation>
    </message>
    <message>
        <source>Note by {name}</source>
        <translation>Nota di {name}</translation>
    </message>
    <message>
        <source>On this &amp;computer</source>
        <translation>Su questo &amp;computer</translation>
    </message>
    <message>
        <source>Search messages</source>
        <translation>Cerca nei messaggi</translation>
    </message>
    <message>
        <source>Searching…</source>
        <translation>Ricerca in corso…</translation>
    </message>
    <message>
        <source>The conversations kept on this computer; works offline</source>
        <translation>Le conversazioni salvate su questo computer; funziona anche senza connessione</translation>
    </message>
    <message>
        <source>Unknown contact</source>
        <translation>Contatto sconosciuto</translation>
    </message>
    <message>
        <source>Words to find in the messages</source>
        <translation>Parole da cercare nei messaggi</translation>
    </message>
    <message numerus="yes">
        <source>%n message(s) shown, more in the workspace</source>
        <translation>
            <numerusform>%n messaggio mostrato, altri nello spazio di lavoro</numerusform>
            <numerusform>%n messaggi mostrati, altri nello spazio di lavoro</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n message(s) found</source>
        <translation>
            <numerusform>%n messaggio trovato</numerusform>
            <numerusform>%n messaggi trovati</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ShortcutSheet</name>
    <message>
        <source>Action</source>
        <translation>Azione</translation>
    </message>
    <message>
        <source>Ctrl+K finds any of these by name, and tickets, contacts and screens too.</source>
        <translation>Ctrl+K trova ognuna di queste per nome, e anche ticket, contatti e schermate.</translation>
    </message>
    <message>
        <source>Keyboard shortcuts</source>
        <translation>Tasti rapidi</translation>
    </message>
    <message>
        <source>Shortcut</source>
        <translation>Tasti</translation>
    </message>
</context>
</TS>
