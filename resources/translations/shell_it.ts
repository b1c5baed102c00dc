<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<!-- Italian strings of the app shell: login, header, navigation, chat header, screens,
     ticket list and chat view (engineer U3), written by hand with the seed's words
     (La tua posta, Non assegnato, Finalizza, Riattiva, Non disponibile...).
     Compile with: python -m convos_desktop.ui.i18n shell_it.ts -->
<TS version="2.1" language="it_IT" sourcelanguage="en_US">
<context>
    <name>LoginDialog</name>
    <message>
        <source>Sign in to Convos</source>
        <translation>Accedi a Convos</translation>
    </message>
    <message>
        <source>Sign in</source>
        <translation>Accedi</translation>
    </message>
    <message>
        <source>Signing in…</source>
        <translation>Accesso in corso…</translation>
    </message>
    <message>
        <source>Server</source>
        <translation>Server</translation>
    </message>
    <message>
        <source>E-mail</source>
        <translation>E-mail</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>Password</translation>
    </message>
    <message>
        <source>name@company.com</source>
        <translation>nome@azienda.it</translation>
    </message>
    <message>
        <source>Remember me on this computer</source>
        <translation>Ricordami su questo computer</translation>
    </message>
    <message>
        <source>Check the server address (http:// or https://) and the e-mail.</source>
        <translation>Controlla l'indirizzo del server (http:// o https://) e l'e-mail.</translation>
    </message>
    <message>
        <source>Type your password.</source>
        <translation>Scrivi la password.</translation>
    </message>
    <message>
        <source>Wrong e-mail or password.</source>
        <translation>E-mail o password errata.</translation>
    </message>
    <message>
        <source>Cannot reach the server at {url}. Check the address and your network.</source>
        <translation>Impossibile raggiungere il server {url}. Controlla l'indirizzo e la rete.</translation>
    </message>
</context>
<context>
    <name>TicketActions</name>
    <message>
        <source>You are Unavailable: set yourself Online to act on tickets</source>
        <translation>Sei Non disponibile: imposta il tuo stato su Online per gestire i ticket</translation>
    </message>
    <message>
        <source>someone else</source>
        <translation>un altro operatore</translation>
    </message>
    <message>
        <source>Take the ticket over from %1</source>
        <translation>Prendi in carico il ticket al posto di %1</translation>
    </message>
    <message>
        <source>Assigned to %1: only an admin can take it over</source>
        <translation>Assegnato a %1: solo un amministratore può prenderlo in carico</translation>
    </message>
    <message>
        <source>Only the assignee or an admin can unassign this ticket</source>
        <translation>Solo l'assegnatario o un amministratore può rimuovere l'assegnazione</translation>
    </message>
    <message>
        <source>Only the assignee or an admin can finalize this ticket</source>
        <translation>Solo l'assegnatario o un amministratore può finalizzare questo ticket</translation>
    </message>
</context>
<context>
    <name>HeaderBar</name>
    <message>
        <source>Status</source>
        <translation>Stato</translation>
    </message>
    <message>
        <source>Agent status</source>
        <translation>Stato dell'operatore</translation>
    </message>
    <message>
        <source>Online</source>
        <translation>Online</translation>
    </message>
    <message>
        <source>Busy</source>
        <translation>Occupato</translation>
    </message>
    <message>
        <source>Unavailable</source>
        <translation>Non disponibile</translation>
    </message>
    <message>
        <source>(now Unavailable)</source>
        <translation>(ora Non disponibile)</translation>
    </message>
    <message>
        <source>Outside the conversation screens, or away, you count as Unavailable; your chosen status comes back when you return.</source>
        <translation>Fuori dalle schermate delle conversazioni, o quando sei assente, risulti Non disponibile; lo stato che hai scelto torna quando rientri.</translation>
    </message>
    <message>
        <source>Connected</source>
        <translation>Connesso</translation>
    </message>
    <message>
        <source>Connecting…</source>
        <translation>Connessione…</translation>
    </message>
    <message>
        <source>Reconnecting…</source>
        <translation>Riconnessione…</translation>
    </message>
    <message>
        <source>Offline: showing cached data</source>
        <translation>Offline: dati salvati sul computer</translation>
    </message>
    <message>
        <source>Sound for new unassigned tickets: on</source>
        <translation>Suono per i nuovi ticket non assegnati: attivo</translation>
    </message>
    <message>
        <source>Sound for new unassigned tickets: off</source>
        <translation>Suono per i nuovi ticket non assegnati: disattivato</translation>
    </message>
</context>
<context>
    <name>ChatHeader</name>
    <message>
        <source>Assign to me</source>
        <translation>Assegna a me</translation>
    </message>
    <message>
        <source>Unassign</source>
        <translation>Rimuovi assegnazione</translation>
    </message>
    <message>
        <source>Finalize</source>
        <translation>Finalizza</translation>
    </message>
    <message>
        <source>Reactivate</source>
        <translation>Riattiva</translation>
    </message>
    <message>
        <source>No conversation selected</source>
        <translation>Nessuna conversazione selezionata</translation>
    </message>
</context>
<context>
    <name>Navigation</name>
    <message>
        <source>Customer service</source>
        <translation>Servizio clienti</translation>
    </message>
    <message>
        <source>Manage</source>
        <translation>Gestione</translation>
    </message>
    <message>
        <source>Mine</source>
        <translation>La tua posta</translation>
    </message>
    <message>
        <source>Unassigned</source>
        <translation>Non assegnato</translation>
    </message>
    <message>
        <source>All</source>
        <translation>Tutto</translation>
    </message>
    <message>
        <source>New ticket</source>
        <translation>Nuovo Ticket</translation>
    </message>
    <message>
        <source>Conversations</source>
        <translation>Conversazioni</translation>
    </message>
    <message>
        <source>Shortcuts</source>
        <translation>Scorciatoie</translation>
    </message>
    <message>
        <source>Inboxes</source>
        <translation>Caselle di posta</translation>
    </message>
    <message>
        <source>Tickets</source>
        <translation>Ticket</translation>
    </message>
    <message>
        <source>Performance</source>
        <translation>Performance</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Convos</source>
        <translation>Convos</translation>
    </message>
    <message>
        <source>Header</source>
        <translation>Intestazione</translation>
    </message>
    <message>
        <source>Coming in a later version.</source>
        <translation>Arriva in una prossima versione.</translation>
    </message>
    <message>
        <source>The full history of every conversation with your customers, whatever started it: chatbot, agents, mass or transactional campaigns.</source>
        <translation>Lo storico completo di tutte le conversazioni con i tuoi clienti, comunque siano state avviate: chatbot, operatori, campagne massive o transazionali.</translation>
    </message>
    <message>
        <source>Quick replies: prepared texts agents insert while chatting (also with /).</source>
        <translation>Risposte rapide: testi preimpostati che gli operatori inseriscono durante la chat (anche con /).</translation>
    </message>
    <message>
        <source>Inboxes classify conversations and name the team responsible, with the assignment settings of each.</source>
        <translation>Le caselle di posta classificano le conversazioni e indicano il team responsabile, con le impostazioni di assegnazione di ciascuna.</translation>
    </message>
    <message>
        <source>The history of resolved tickets, with search by contact, agent and date.</source>
        <translation>Lo storico della risoluzione dei ticket, con ricerca per contatto, operatore e data.</translation>
    </message>
    <message>
        <source>How inboxes and agents perform: opened, closed, backlog, response times.</source>
        <translation>Le prestazioni di caselle di posta e operatori: aperti, chiusi, arretrato, tempi di risposta.</translation>
    </message>
</context>
<context>
    <name>NewTicketScreen</name>
    <message>
        <source>New ticket</source>
        <translation>Nuovo Ticket</translation>
    </message>
    <message>
        <source>Start a conversation from scratch when the contact has no open ticket.</source>
        <translation>Avvia una conversazione da zero quando il contatto non ha un ticket aperto.</translation>
    </message>
    <message>
        <source>Search contacts by name, phone or e-mail</source>
        <translation>Cerca contatti per nome, telefono o e-mail</translation>
    </message>
    <message>
        <source>First message to the customer</source>
        <translation>Primo messaggio al cliente</translation>
    </message>
    <message>
        <source>Open that ticket</source>
        <translation>Apri quel ticket</translation>
    </message>
    <message>
        <source>Start ticket</source>
        <translation>Avvia ticket</translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation>Avvio…</translation>
    </message>
    <message>
        <source>Contact</source>
        <translation>Contatto</translation>
    </message>
    <message>
        <source>Inbox</source>
        <translation>Casella di posta</translation>
    </message>
    <message>
        <source>Message</source>
        <translation>Messaggio</translation>
    </message>
    <message>
        <source>Choose a contact first.</source>
        <translation>Scegli prima un contatto.</translation>
    </message>
    <message>
        <source>Choose an inbox first.</source>
        <translation>Scegli prima una casella di posta.</translation>
    </message>
    <message>
        <source>Write the first message.</source>
        <translation>Scrivi il primo messaggio.</translation>
    </message>
</context>
<context>
    <name>Workspace</name>
    <message>
        <source>Set your status to Online to reply.</source>
        <translation>Imposta il tuo stato su Online per rispondere.</translation>
    </message>
    <message>
        <source>No ticket listed here has this label.</source>
        <translation>Nessun ticket elencato qui ha questa etichetta.</translation>
    </message>
    <message>
        <source>No open tickets assigned to you.</source>
        <translation>Nessun ticket aperto assegnato a te.</translation>
    </message>
    <message>
        <source>No tickets waiting for an agent.</source>
        <translation>Nessun ticket in attesa di un agente.</translation>
    </message>
    <message>
        <source>No open tickets.</source>
        <translation>Nessun ticket aperto.</translation>
    </message>
    <message>
        <source>No snoozed tickets.</source>
        <translation>Nessun ticket posticipato.</translation>
    </message>
    <message>
        <source>None of your open tickets is in {inbox}.</source>
        <translation>Nessuno dei tuoi ticket aperti è in {inbox}.</translation>
    </message>
    <message>
        <source>No tickets waiting for an agent in {inbox}.</source>
        <translation>Nessun ticket in attesa di un agente in {inbox}.</translation>
    </message>
    <message>
        <source>No open tickets in {inbox}.</source>
        <translation>Nessun ticket aperto in {inbox}.</translation>
    </message>
    <message>
        <source>No snoozed tickets in {inbox}.</source>
        <translation>Nessun ticket posticipato in {inbox}.</translation>
    </message>
    <message>
        <source>Select a ticket on the left to see the conversation.</source>
        <translation>Seleziona un ticket a sinistra per vedere la conversazione.</translation>
    </message>
    <message>
        <source>Unassigned</source>
        <translation>Non assegnato</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>Aperto</translation>
    </message>
    <message>
        <source>Closed</source>
        <translation>Chiuso</translation>
    </message>
    <message>
        <source>You are Unavailable: set your status to Online to assign, reply, finalize or reactivate.</source>
        <translation>Sei Non disponibile: imposta il tuo stato su Online per assegnare, rispondere, finalizzare o riattivare.</translation>
    </message>
    <message>
        <source>Select a ticket first.</source>
        <translation>Seleziona prima un ticket.</translation>
    </message>
    <message>
        <source>The ticket is closed: reactivate it to reply.</source>
        <translation>Il ticket è chiuso: riattivalo per rispondere.</translation>
    </message>
    <message>
        <source>Assign the ticket to yourself to reply.</source>
        <translation>Assegnati il ticket per rispondere.</translation>
    </message>
    <message>
        <source>A reply of this conversation is still being sent: try again once it is delivered.</source>
        <translation>Una risposta di questa conversazione è ancora in invio: riprova quando sarà consegnata.</translation>
    </message>
    <message>
        <source>Not sent: {error}</source>
        <translation>Non inviato: {error}</translation>
    </message>
</context>
<context>
    <name>FileActions</name>
    <message>
        <source>Save attachment</source>
        <translation>Salva allegato</translation>
    </message>
</context>
<context>
    <name>Errors</name>
    <message>
        <source>The server cannot be reached. Check the connection and try again.</source>
        <translation>Il server non è raggiungibile. Controlla la connessione e riprova.</translation>
    </message>
    <message>
        <source>You are not Online: set your status to Online.</source>
        <translation>Non sei Online: imposta il tuo stato su Online.</translation>
    </message>
    <message>
        <source>The ticket is closed: reactivate it first.</source>
        <translation>Il ticket è chiuso: riattivalo prima.</translation>
    </message>
    <message>
        <source>Another agent has already taken this ticket.</source>
        <translation>Un altro operatore ha già preso questo ticket.</translation>
    </message>
    <message>
        <source>You have reached the maximum of open tickets.</source>
        <translation>Hai raggiunto il numero massimo di ticket aperti.</translation>
    </message>
    <message>
        <source>This contact already has an open ticket.</source>
        <translation>Questo contatto ha già un ticket aperto.</translation>
    </message>
    <message>
        <source>Wrong e-mail or password.</source>
        <translation>E-mail o password errata.</translation>
    </message>
    <message>
        <source>The file is too large for the server.</source>
        <translation>Il file è troppo grande per il server.</translation>
    </message>
    <message>
        <source>The server refused the sticker: {message}</source>
        <translation>Il server ha rifiutato lo sticker: {message}</translation>
    </message>
    <message>
        <source>You are not allowed to do this.</source>
        <translation>Non hai il permesso di farlo.</translation>
    </message>
    <message>
        <source>Not sent: the ticket is closed</source>
        <translation>Non inviato: il ticket è chiuso</translation>
    </message>
    <message>
        <source>Not sent: you are not Online</source>
        <translation>Non inviato: non sei Online</translation>
    </message>
    <message>
        <source>Not sent: the ticket is assigned to another agent</source>
        <translation>Non inviato: il ticket è assegnato a un altro operatore</translation>
    </message>
    <message>
        <source>Not sent: the conversation is no longer visible to you</source>
        <translation>Non inviato: la conversazione non ti è più visibile</translation>
    </message>
    <message>
        <source>Not sent: an attachment is too large</source>
        <translation>Non inviato: un allegato è troppo grande</translation>
    </message>
    <message>
        <source>Not sent: an attachment&apos;s type is not allowed</source>
        <translation>Non inviato: il tipo di un allegato non è consentito</translation>
    </message>
    <message>
        <source>Not sent: the sticker breaks the sticker rules</source>
        <translation>Non inviato: lo sticker non rispetta le regole degli sticker</translation>
    </message>
    <message>
        <source>Not sent: the server found the message invalid</source>
        <translation>Non inviato: il server ritiene il messaggio non valido</translation>
    </message>
    <message>
        <source>Not sent: {message}</source>
        <translation>Non inviato: {message}</translation>
    </message>
    <message>
        <source>Not sent: the server refused it</source>
        <translation>Non inviato: il server lo ha rifiutato</translation>
    </message>
</context>
<context>
    <name>ChatView</name>
    <message>
        <source>Reply</source>
        <translation>Rispondi</translation>
    </message>
    <message>
        <source>React</source>
        <translation>Reagisci</translation>
    </message>
    <message>
        <source>More…</source>
        <translation>Altre…</translation>
    </message>
    <message>
        <source>Copy text</source>
        <translation>Copia testo</translation>
    </message>
    <message>
        <source>Open attachment</source>
        <translation>Apri allegato</translation>
    </message>
    <message>
        <source>Save attachment…</source>
        <translation>Salva allegato…</translation>
    </message>
    <message>
        <source>Retry sending</source>
        <translation>Riprova l'invio</translation>
    </message>
    <message>
        <source>Discard</source>
        <translation>Scarta</translation>
    </message>
</context>
<context>
    <name>MessageDelegate</name>
    <message>
        <source>Internal note · {name}</source>
        <translation>Nota interna · {name}</translation>
    </message>
    <message>
        <source>{reason}. Right-click to retry or discard.</source>
        <translation>{reason}. Clic destro per riprovare o scartare.</translation>
    </message>
</context>
<context>
    <name>TicketDelegate</name>
    <message>
        <source>Draft</source>
        <translation>Bozza</translation>
    </message>
    <message>
        <source>Unassigned</source>
        <translation>Non assegnato</translation>
    </message>
</context>
<context>
    <name>Formatting</name>
    <message>
        <source>Today</source>
        <translation>Oggi</translation>
    </message>
    <message>
        <source>Yesterday</source>
        <translation>Ieri</translation>
    </message>
</context>
</TS>
