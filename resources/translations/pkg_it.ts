<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<!-- Italian strings of the product side: settings, About, app menu, error box (helper pkg).
     Compile with: python -m convos_desktop.ui.i18n pkg_it.ts -->
<TS version="2.1" language="it_IT" sourcelanguage="en_US">
<context>
    <name>AboutDialog</name>
    <message>
        <source>About Convos Desktop</source>
        <translation>Informazioni su Convos Desktop</translation>
    </message>
    <message>
        <source>The desktop app of Convos for customer-service agents.</source>
        <translation>L'app desktop di Convos per gli operatori dell'assistenza clienti.</translation>
    </message>
    <message>
        <source>Log files: %1</source>
        <translation>File di log: %1</translation>
    </message>
    <message>
        <source>© 2026 Convos. All rights reserved.</source>
        <translation>© 2026 Convos. Tutti i diritti riservati.</translation>
    </message>
    <message>
        <source>Open log folder</source>
        <translation>Apri la cartella dei log</translation>
    </message>
    <message>
        <source>Copy details</source>
        <translation>Copia i dettagli</translation>
    </message>
</context>
<context>
    <name>AppMenu</name>
    <message>
        <source>Settings…</source>
        <translation>Impostazioni…</translation>
    </message>
    <message>
        <source>About Convos Desktop</source>
        <translation>Informazioni su Convos Desktop</translation>
    </message>
    <message>
        <source>Settings and information</source>
        <translation>Impostazioni e informazioni</translation>
    </message>
</context>
<context>
    <name>Product</name>
    <message>
        <source>Something went wrong. Convos keeps running; the details are in the log.</source>
        <translation>Si è verificato un errore imprevisto. Convos continua a funzionare; i dettagli sono nel log.</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>Settings</source>
        <translation>Impostazioni</translation>
    </message>
    <message>
        <source>Connection</source>
        <translation>Connessione</translation>
    </message>
    <message>
        <source>Server address</source>
        <translation>Indirizzo del server</translation>
    </message>
    <message>
        <source>Profile</source>
        <translation>Profilo</translation>
    </message>
    <message>
        <source>Used at the next sign-in.</source>
        <translation>Usati al prossimo accesso.</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>Lingua</translation>
    </message>
    <message>
        <source>System language</source>
        <translation>Lingua del sistema</translation>
    </message>
    <message>
        <source>Applies when Convos starts again.</source>
        <translation>Si applica al prossimo avvio di Convos.</translation>
    </message>
    <message>
        <source>Sound and notifications</source>
        <translation>Suoni e notifiche</translation>
    </message>
    <message>
        <source>Play a sound for new unassigned tickets</source>
        <translation>Riproduci un suono per i nuovi ticket non assegnati</translation>
    </message>
    <message>
        <source>Test</source>
        <translation>Prova</translation>
    </message>
    <message>
        <source>Show a message for new tickets and messages</source>
        <translation>Mostra un avviso per nuovi ticket e messaggi</translation>
    </message>
    <message>
        <source>Volume</source>
        <translation>Volume</translation>
    </message>
    <message>
        <source>System</source>
        <translation>Sistema</translation>
    </message>
    <message>
        <source>Start Convos when I log in</source>
        <translation>Avvia Convos all'accesso al computer</translation>
    </message>
    <message>
        <source>Closing the window keeps Convos running in the tray</source>
        <translation>Chiudendo la finestra Convos resta attivo nell'area di notifica</translation>
    </message>
</context>
</TS>
