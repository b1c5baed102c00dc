<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<!-- Italian strings of the app lifecycle: tray icon and menu, close-to-tray message,
     notifications (engineer P2). Compile with: python -m convos_desktop.ui.i18n desktop_it.ts -->
<TS version="2.1" language="it_IT" sourcelanguage="en_US">
<context>
    <name>Tray</name>
    <message>
        <source>Open Convos</source>
        <translation>Apri Convos</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Stato</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>Esci</translation>
    </message>
    <message numerus="yes">
        <source>Convos: %n conversation(s) with unread messages</source>
        <translation>
            <numerusform>Convos: %n conversazione con messaggi non letti</numerusform>
            <numerusform>Convos: %n conversazioni con messaggi non letti</numerusform>
        </translation>
    </message>
    <message>
        <source>Convos</source>
        <translation>Convos</translation>
    </message>
    <message>
        <source>Convos keeps running</source>
        <translation>Convos resta attivo</translation>
    </message>
    <message>
        <source>Convos is still running in the tray. After 2 minutes with the window closed you are shown as Unavailable. Use Quit in the tray menu to exit.</source>
        <translation>Convos è ancora attivo nell'area di notifica. Dopo 2 minuti con la finestra chiusa risulti Non disponibile. Per uscire usa Esci nel menu dell'icona.</translation>
    </message>
</context>
<context>
    <name>Notifier</name>
    <message>
        <source>a customer</source>
        <translation>un cliente</translation>
    </message>
    <message>
        <source>%1 is waiting in Unassigned.</source>
        <translation>%1 è in attesa in Non assegnato.</translation>
    </message>
    <message numerus="yes">
        <source>%n new tickets are waiting in Unassigned.</source>
        <translation>
            <numerusform>%n nuovo ticket è in attesa in Non assegnato.</numerusform>
            <numerusform>%n nuovi ticket sono in attesa in Non assegnato.</numerusform>
        </translation>
    </message>
    <message>
        <source>New ticket</source>
        <translation>Nuovo ticket</translation>
    </message>
    <message>
        <source>(attachment)</source>
        <translation>(allegato)</translation>
    </message>
    <message>
        <source>Message from %1</source>
        <translation>Messaggio da %1</translation>
    </message>
</context>
</TS>
