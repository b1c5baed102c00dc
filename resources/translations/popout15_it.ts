<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<!-- Italian strings of the pop-out windows and the chat header's "⋯" menu (helper popout15),
     written by hand; compiled with python -m convos_desktop.ui.i18n. -->
<TS version="2.1" language="it_IT" sourcelanguage="en_US">
<context>
    <name>ActionRow</name>
    <message>
        <source>More actions</source>
        <translation>Altre azioni</translation>
    </message>
</context>
<context>
    <name>ChatHeader</name>
    <message>
        <source>Open in a new window</source>
        <translation>Apri in una nuova finestra</translation>
    </message>
</context>
<context>
    <name>PoppedOutNotice</name>
    <message>
        <source>Show its window</source>
        <translation>Mostra la sua finestra</translation>
    </message>
    <message>
        <source>Bring it back here</source>
        <translation>Riportala qui</translation>
    </message>
    <message>
        <source>The conversation with %1 (ticket #%2) is open in its own window.</source>
        <translation>La conversazione con %1 (ticket #%2) è aperta in una finestra a parte.</translation>
    </message>
</context>
<context>
    <name>PopoutWindow</name>
    <message>
        <source>Close window</source>
        <translation>Chiudi la finestra</translation>
    </message>
    <message>
        <source>%1 · ticket #%2 — Convos</source>
        <translation>%1 · ticket #%2 — Convos</translation>
    </message>
</context>
</TS>
