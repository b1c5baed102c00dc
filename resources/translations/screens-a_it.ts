<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<!-- Italian strings of the inbox tree and the New ticket screen (helper screens-a), written by
     hand with the help page's words (La tua posta, Nuovo Ticket, Riattiva).
     Compile with: python -m convos_desktop.ui.i18n screens-a_it.ts -->
<TS version="2.1" language="it_IT" sourcelanguage="en_US">
<context>
    <name>ChosenContact</name>
    <message>
        <source>Change contact</source>
        <translation>Cambia contatto</translation>
    </message>
    <message>
        <source>No phone or e-mail</source>
        <translation>Nessun telefono né e-mail</translation>
    </message>
</context>
<context>
    <name>FirstMessageComposer</name>
    <message>
        <source>First message to the customer…</source>
        <translation>Primo messaggio al cliente…</translation>
    </message>
    <message>
        <source>Start ticket</source>
        <translation>Avvia ticket</translation>
    </message>
</context>
<context>
    <name>NewTicketScreen</name>
    <message>
        <source>First message</source>
        <translation>Primo messaggio</translation>
    </message>
    <message>
        <source>Please wait…</source>
        <translation>Attendi…</translation>
    </message>
    <message>
        <source>Reactivate</source>
        <translation>Riattiva</translation>
    </message>
    <message>
        <source>Reactivating…</source>
        <translation>Riattivazione…</translation>
    </message>
    <message>
        <source>Set your status to Online to start a ticket.</source>
        <translation>Imposta il tuo stato su Online per avviare un ticket.</translation>
    </message>
    <message>
        <source>Start a conversation with a customer from scratch. It is assigned to you and opens in Mine.</source>
        <translation>Avvia da zero una conversazione con un cliente. Il ticket è assegnato a te e si apre in La tua posta.</translation>
    </message>
    <message>
        <source>The contact already has an open ticket.</source>
        <translation>Il contatto ha già un ticket aperto.</translation>
    </message>
    <message>
        <source>it is assigned to you</source>
        <translation>è assegnato a te</translation>
    </message>
    <message>
        <source>it is assigned to {agent}</source>
        <translation>è assegnato a {agent}</translation>
    </message>
    <message>
        <source>it is not assigned yet</source>
        <translation>non è ancora assegnato</translation>
    </message>
    <message>
        <source>{name} already has an open ticket (#{id}{inbox}): {holder}.</source>
        <translation>{name} ha già un ticket aperto (#{id}{inbox}): {holder}.</translation>
    </message>
    <message>
        <source>{name}'s last ticket (#{id}{inbox}) was closed {when}. Reactivate it to go on in that conversation, or write below to start a new one.</source>
        <translation>L'ultimo ticket di {name} (#{id}{inbox}) è stato chiuso il {when}. Riattivalo per continuare quella conversazione, oppure scrivi qui sotto per avviarne una nuova.</translation>
    </message>
</context>
<context>
    <name>ContactPicker</name>
    <message>
        <source>Create a contact that is not in the list</source>
        <translation>Crea un contatto che non è nell'elenco</translation>
    </message>
    <message>
        <source>New contact…</source>
        <translation>Nuovo contatto…</translation>
    </message>
    <message>
        <source>No contact matches “{query}”.</source>
        <translation>Nessun contatto corrisponde a “{query}”.</translation>
    </message>
    <message>
        <source>No contacts yet: create one.</source>
        <translation>Ancora nessun contatto: creane uno.</translation>
    </message>
    <message>
        <source>Search contacts</source>
        <translation>Cerca contatti</translation>
    </message>
    <message>
        <source>Search contacts by name, phone or e-mail</source>
        <translation>Cerca contatti per nome, telefono o e-mail</translation>
    </message>
    <message>
        <source>Searching…</source>
        <translation>Ricerca…</translation>
    </message>
    <message>
        <source>{name} already has this e-mail address.</source>
        <translation>{name} ha già questo indirizzo e-mail.</translation>
    </message>
    <message>
        <source>{name} already has this phone number.</source>
        <translation>{name} ha già questo numero di telefono.</translation>
    </message>
</context>
<context>
    <name>NewContactForm</name>
    <message>
        <source>+39 333 123 4567</source>
        <translation>+39 333 123 4567</translation>
    </message>
    <message>
        <source>A phone number has 6 to 15 digits, optionally after +.</source>
        <translation>Un numero di telefono ha da 6 a 15 cifre, eventualmente dopo il +.</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Annulla</translation>
    </message>
    <message>
        <source>Create contact</source>
        <translation>Crea contatto</translation>
    </message>
    <message>
        <source>E-mail</source>
        <translation>E-mail</translation>
    </message>
    <message>
        <source>Give a phone number or an e-mail address (or both).</source>
        <translation>Indica un numero di telefono o un indirizzo e-mail (o entrambi).</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Nome</translation>
    </message>
    <message>
        <source>Name and surname</source>
        <translation>Nome e cognome</translation>
    </message>
    <message>
        <source>Phone</source>
        <translation>Telefono</translation>
    </message>
    <message>
        <source>This is not an e-mail address.</source>
        <translation>Questo non è un indirizzo e-mail.</translation>
    </message>
    <message>
        <source>Use the existing one</source>
        <translation>Usa quello esistente</translation>
    </message>
    <message>
        <source>Write the contact's name.</source>
        <translation>Scrivi il nome del contatto.</translation>
    </message>
    <message>
        <source>name@example.com</source>
        <translation>nome@esempio.it</translation>
    </message>
</context>
</TS>
