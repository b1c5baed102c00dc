<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<!-- Italian strings of collision detection, typing and mentions (helper collab15), written by hand;
     compiled with python -m convos_desktop.ui.i18n. -->
<TS version="2.1" language="it_IT" sourcelanguage="en_US">
<context>
    <name>LiveLine</name>
    <message>
        <source>{name} is typing a note…</source>
        <translation>{name} sta scrivendo una nota…</translation>
    </message>
    <message>
        <source>{name} is typing a reply…</source>
        <translation>{name} sta scrivendo una risposta…</translation>
    </message>
    <message>
        <source>{name} is viewing</source>
        <translation>{name} sta guardando</translation>
    </message>
    <message>
        <source>{names} are viewing</source>
        <translation>{names} stanno guardando</translation>
    </message>
    <message>
        <source>The customer is typing…</source>
        <translation>Il cliente sta scrivendo…</translation>
    </message>
</context>
<context>
    <name>Workspace</name>
    <message>
        <source>A colleague</source>
        <translation>Un collega</translation>
    </message>
    <message>
        <source>{name} replied meanwhile: send anyway?</source>
        <translation>{name} ha risposto nel frattempo: inviare comunque?</translation>
    </message>
    <message>
        <source>Conversation changed</source>
        <translation>Conversazione cambiata</translation>
    </message>
</context>
<context>
    <name>Errors</name>
    <message>
        <source>Not sent: {name} wrote meanwhile</source>
        <translation>Non inviato: {name} ha scritto nel frattempo</translation>
    </message>
    <message>
        <source>a colleague</source>
        <translation>un collega</translation>
    </message>
</context>
<context>
    <name>Navigation</name>
    <message>
        <source>Mentions</source>
        <translation>Menzioni</translation>
    </message>
</context>
<context>
    <name>MentionsScreen</name>
    <message>
        <source>A colleague</source>
        <translation>Un collega</translation>
    </message>
    <message>
        <source>Notes where a colleague wrote @ and your name. Enter opens the conversation.</source>
        <translation>Note in cui un collega ha scritto @ e il tuo nome. Invio apre la conversazione.</translation>
    </message>
    <message>
        <source>Nobody has mentioned you yet.</source>
        <translation>Nessuno ti ha ancora menzionato.</translation>
    </message>
    <message>
        <source>Open conversation</source>
        <translation>Apri conversazione</translation>
    </message>
    <message>
        <source>Mark as read</source>
        <translation>Segna come letta</translation>
    </message>
    <message>
        <source>{author}, {when}: {body}</source>
        <translation>{author}, {when}: {body}</translation>
    </message>
</context>
<context>
    <name>Notifier</name>
    <message>
        <source>A colleague</source>
        <translation>Un collega</translation>
    </message>
    <message>
        <source>%1 mentioned you</source>
        <translation>%1 ti ha menzionato</translation>
    </message>
</context>
<context>
    <name>MentionDelegate</name>
    <message>
        <source>Conversation {id}</source>
        <translation>Conversazione {id}</translation>
    </message>
</context>
</TS>
