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
</TS>
