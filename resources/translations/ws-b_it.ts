<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<!-- Italian strings of issue 10's "agent's day" fixes (helper ws-b): contact card toggle,
     files no application opens, the demo's starting window, the login without a keyring, and
     the two file-dialog labels Qt's own qtbase_it lacks since Qt 6 added their accelerators.
     Compile with: python -m convos_desktop.ui.i18n ws-b_it.ts -->
<TS version="2.1" language="it_IT" sourcelanguage="en_US">
<context>
    <name>DockToggle</name>
    <message>
        <source>Show or hide the contact card (%1)</source>
        <translation>Mostra o nascondi la scheda di contatto (%1)</translation>
    </message>
</context>
<context>
    <name>OpenFailedBox</name>
    <message>
        <source>Cannot open the file</source>
        <translation>Impossibile aprire il file</translation>
    </message>
    <message>
        <source>No application on this computer opens “%1”.</source>
        <translation>Nessuna applicazione di questo computer apre “%1”.</translation>
    </message>
    <message>
        <source>Save it somewhere with Save as…, then open it from there.</source>
        <translation>Salvalo con Salva con nome…, poi aprilo da lì.</translation>
    </message>
    <message>
        <source>Save as…</source>
        <translation>Salva con nome…</translation>
    </message>
</context>
<context>
    <name>DemoStartingWindow</name>
    <message>
        <source>Convos demo</source>
        <translation>Demo di Convos</translation>
    </message>
    <message>
        <source>Starting the demo server…</source>
        <translation>Avvio del server della demo…</translation>
    </message>
    <message>
        <source>Elapsed: %1 s</source>
        <translation>Trascorsi: %1 s</translation>
    </message>
    <message>
        <source>This is a demo: its server runs on this computer and keeps nothing. Conversations, changes and drafts are gone when you quit.</source>
        <translation>Questa è una demo: il suo server gira su questo computer e non conserva nulla. Conversazioni, modifiche e bozze spariscono quando esci.</translation>
    </message>
    <message>
        <source>demo, nothing is kept</source>
        <translation>demo, non si conserva nulla</translation>
    </message>
</context>
<context>
    <name>LoginDialog</name>
    <message>
        <source>This computer has no password keyring (such as GNOME Keyring or KWallet), so Convos cannot remember your sign-in: you will be asked for your password at every start.</source>
        <translation>Questo computer non ha un portachiavi per le password (come GNOME Keyring o KWallet), quindi Convos non può ricordare l'accesso: la password ti sarà chiesta a ogni avvio.</translation>
    </message>
</context>
<context>
    <name>QFileDialog</name>
    <message>
        <source>&amp;Look in:</source>
        <translation>&amp;Cerca in:</translation>
    </message>
    <message>
        <source>Files of &amp;type:</source>
        <translation>File di &amp;tipo:</translation>
    </message>
</context>
<context>
    <name>QAbstractFileIconProvider</name>
    <message>
        <source>Folder</source>
        <translation>Cartella</translation>
    </message>
    <message>
        <source>Drive</source>
        <translation>Unità</translation>
    </message>
    <message>
        <source>%1 File</source>
        <translation>File %1</translation>
    </message>
    <message>
        <source>File</source>
        <translation>File</translation>
    </message>
</context>
</TS>
