<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<!-- Italian strings of helper ws-a (issue 10: undo of Finalizza, the contact's tickets,
     the "N nuovi" pill, reactions while Non disponibile). Compile with:
     python -m convos_desktop.ui.i18n ws-a_it.ts -->
<TS version="2.1" language="it_IT" sourcelanguage="en_US">
<context>
    <name>TicketActions</name>
    <message>
        <source>You are Unavailable: set yourself Online to react</source>
        <translation>Sei Non disponibile: imposta il tuo stato su Online per reagire</translation>
    </message>
    <message>
        <source>Ticket #%1 of this contact is open: only one may be open at a time</source>
        <translation>Il ticket #%1 di questo contatto è aperto: se ne può aprire uno alla volta</translation>
    </message>
</context>
<context>
    <name>Workspace</name>
    <message>
        <source>Ticket #%1 finalized (%2)</source>
        <translation>Ticket #%1 finalizzato (%2)</translation>
    </message>
    <message>
        <source>Now showing %1</source>
        <translation>Ora aperto: %1</translation>
    </message>
</context>
<context>
    <name>UndoToast</name>
    <message>
        <source>Undo (%1)</source>
        <translation>Annulla (%1)</translation>
    </message>
    <message>
        <source>Reactivate the ticket as it was (%1)</source>
        <translation>Riattiva il ticket com'era (%1)</translation>
    </message>
</context>
<context>
    <name>ContactTickets</name>
    <message>
        <source>Open</source>
        <translation>Aperto</translation>
    </message>
    <message>
        <source>Closed %1</source>
        <translation>Chiuso il %1</translation>
    </message>
    <message>
        <source>Double-click to show the conversation</source>
        <translation>Doppio clic per vedere la conversazione</translation>
    </message>
    <message>
        <source>The ticket is open</source>
        <translation>Il ticket è aperto</translation>
    </message>
    <message>
        <source>You are Unavailable: set yourself Online to act on tickets</source>
        <translation>Sei Non disponibile: imposta il tuo stato su Online per gestire i ticket</translation>
    </message>
    <message>
        <source>Ticket #%1 of this contact is open: only one may be open at a time</source>
        <translation>Il ticket #%1 di questo contatto è aperto: se ne può aprire uno alla volta</translation>
    </message>
</context>
<context>
    <name>ContactTicketsPanel</name>
    <message>
        <source>Tickets</source>
        <translation>Ticket</translation>
    </message>
    <message>
        <source>No tickets yet.</source>
        <translation>Ancora nessun ticket.</translation>
    </message>
    <message>
        <source>Show</source>
        <translation>Mostra</translation>
    </message>
    <message>
        <source>Reactivate</source>
        <translation>Riattiva</translation>
    </message>
</context>
<context>
    <name>TicketListView</name>
    <message numerus="yes">
        <source>%n new</source>
        <translation>
            <numerusform>%n nuovo</numerusform>
            <numerusform>%n nuovi</numerusform>
        </translation>
    </message>
</context>
</TS>
