<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<!-- Italian strings of the composer widgets and the contact dock (engineer U2), written by hand;
     merged into the app translator by the main window (lrelease to .qm). -->
<TS version="2.1" language="it_IT" sourcelanguage="en_US">
<context>
    <name>EmojiPicker</name>
    <message>
        <source>Emoticon</source>
        <translation>Emoticon</translation>
    </message>
    <message>
        <source>Search emoji (English or Italian)</source>
        <translation>Cerca emoticon (in italiano o in inglese)</translation>
    </message>
    <message>
        <source>Recent</source>
        <translation>Recenti</translation>
    </message>
    <message>
        <source>No emoji matches your search</source>
        <translation>Nessuna emoticon corrisponde alla ricerca</translation>
    </message>
    <message>
        <source>Smileys &amp; people</source>
        <translation>Faccine e persone</translation>
    </message>
    <message>
        <source>Animals &amp; nature</source>
        <translation>Animali e natura</translation>
    </message>
    <message>
        <source>Food &amp; drink</source>
        <translation>Cibo e bevande</translation>
    </message>
    <message>
        <source>Travel &amp; places</source>
        <translation>Viaggi e luoghi</translation>
    </message>
    <message>
        <source>Activities</source>
        <translation>Attività</translation>
    </message>
    <message>
        <source>Objects</source>
        <translation>Oggetti</translation>
    </message>
    <message>
        <source>Symbols</source>
        <translation>Simboli</translation>
    </message>
    <message>
        <source>Flags</source>
        <translation>Bandiere</translation>
    </message>
</context>
<context>
    <name>QuickRepliesButton</name>
    <message>
        <source>Quick replies</source>
        <translation>Risposte rapide</translation>
    </message>
    <message>
        <source>Quick replies (or type / in the message)</source>
        <translation>Risposte rapide (oppure digita / nel messaggio)</translation>
    </message>
    <message>
        <source>No quick replies yet</source>
        <translation>Ancora nessuna risposta rapida</translation>
    </message>
</context>
<context>
    <name>LocalFilesModel</name>
    <message>
        <source>checking…</source>
        <translation>verifica in corso…</translation>
    </message>
</context>
<context>
    <name>AttachmentsDialog</name>
    <message>
        <source>Attachments</source>
        <translation>Allegati</translation>
    </message>
    <message>
        <source>From computer</source>
        <translation>Dal computer</translation>
    </message>
    <message>
        <source>Library</source>
        <translation>Libreria</translation>
    </message>
    <message>
        <source>Attach</source>
        <translation>Allega</translation>
    </message>
    <message>
        <source>Choose files…</source>
        <translation>Scegli file…</translation>
    </message>
    <message>
        <source>Send images as stickers</source>
        <translation>Invia le immagini come sticker</translation>
    </message>
    <message>
        <source>A sticker must be exactly 512x512 pixels, have a transparent background and weigh under 100 KB</source>
        <translation>Uno sticker deve misurare esattamente 512 x 512 pixel, avere uno sfondo trasparente e pesare meno di 100 KB</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>Rimuovi</translation>
    </message>
    <message>
        <source>The library is empty.</source>
        <translation>La libreria è vuota.</translation>
    </message>
    <message>
        <source>Attach files</source>
        <translation>Allega file</translation>
    </message>
    <message>
        <source>Too large: files can be at most %s</source>
        <translation>Troppo grande: i file possono pesare al massimo %s</translation>
    </message>
    <message>
        <source>Cannot read: %s</source>
        <translation>Impossibile leggere: %s</translation>
    </message>
    <message>
        <source>Not a sticker: it must be a PNG or WebP image</source>
        <translation>Non è uno sticker: deve essere un'immagine PNG o WebP</translation>
    </message>
    <message>
        <source>Not a sticker: it must be exactly 512x512 pixels</source>
        <translation>Non è uno sticker: deve misurare esattamente 512 x 512 pixel</translation>
    </message>
    <message>
        <source>Not a sticker: it needs a transparent background</source>
        <translation>Non è uno sticker: deve avere uno sfondo trasparente</translation>
    </message>
    <message>
        <source>Not a sticker: it must weigh under 100 KB</source>
        <translation>Non è uno sticker: deve pesare meno di 100 KB</translation>
    </message>
</context>
<context>
    <name>AttachmentChip</name>
    <message>
        <source>Remove attachment</source>
        <translation>Rimuovi allegato</translation>
    </message>
</context>
<context>
    <name>Composer</name>
    <message>
        <source>Internal note: only agents will see it</source>
        <translation>Nota interna: la vedono solo gli operatori</translation>
    </message>
    <message>
        <source>Emoticon</source>
        <translation>Emoticon</translation>
    </message>
    <message>
        <source>Attachments</source>
        <translation>Allegati</translation>
    </message>
    <message>
        <source>Internal note</source>
        <translation>Nota interna</translation>
    </message>
    <message>
        <source>Cancel reply</source>
        <translation>Annulla risposta</translation>
    </message>
    <message>
        <source>Replying to %s</source>
        <translation>Risposta a %s</translation>
    </message>
    <message>
        <source>Add note</source>
        <translation>Aggiungi nota</translation>
    </message>
    <message>
        <source>Send</source>
        <translation>Invia</translation>
    </message>
    <message>
        <source>Back to a message for the customer</source>
        <translation>Torna a un messaggio per il cliente</translation>
    </message>
    <message>
        <source>Write an internal note…</source>
        <translation>Scrivi una nota interna…</translation>
    </message>
    <message>
        <source>Write a message…</source>
        <translation>Scrivi un messaggio…</translation>
    </message>
    <message>
        <source>Enter sends, Shift+Enter starts a new line, / opens quick replies</source>
        <translation>Invio invia, Maiusc+Invio va a capo, / apre le risposte rapide</translation>
    </message>
    <message>
        <source>a message</source>
        <translation>un messaggio</translation>
    </message>
</context>
<context>
    <name>ContactDock</name>
    <message>
        <source>No files exchanged yet.</source>
        <translation>Nessun file scambiato finora.</translation>
    </message>
    <message>
        <source>Contact</source>
        <translation>Scheda di contatto</translation>
    </message>
    <message>
        <source>No contact selected</source>
        <translation>Nessun contatto selezionato</translation>
    </message>
    <message>
        <source>Files exchanged</source>
        <translation>File scambiati</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>Apri</translation>
    </message>
    <message>
        <source>Save as…</source>
        <translation>Salva con nome…</translation>
    </message>
    <message>
        <source>Activity</source>
        <translation>Attività</translation>
    </message>
    <message>
        <source>Edit</source>
        <translation>Modifica</translation>
    </message>
    <message>
        <source>Phone</source>
        <translation>Telefono</translation>
    </message>
    <message>
        <source>Email</source>
        <translation>Email</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>Salva</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Annulla</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Nome</translation>
    </message>
    <message>
        <source>Saving…</source>
        <translation>Salvataggio…</translation>
    </message>
    <message>
        <source>Not saved: %s</source>
        <translation>Non salvato: %s</translation>
    </message>
    <message>
        <source>The name is required</source>
        <translation>Il nome è obbligatorio</translation>
    </message>
    <message>
        <source>A phone number has 6 to 15 digits, spaces and an optional +</source>
        <translation>Un numero di telefono ha da 6 a 15 cifre, spazi e un + facoltativo</translation>
    </message>
    <message>
        <source>This is not an email address (name@example.com)</source>
        <translation>Questo non è un indirizzo email (nome@esempio.it)</translation>
    </message>
    <message>
        <source>just now</source>
        <translation>adesso</translation>
    </message>
    <message>
        <source>%d min ago</source>
        <translation>%d min fa</translation>
    </message>
    <message>
        <source>%d h ago</source>
        <translation>%d h fa</translation>
    </message>
    <message>
        <source>yesterday</source>
        <translation>ieri</translation>
    </message>
    <message>
        <source>%d days ago</source>
        <translation>%d giorni fa</translation>
    </message>
</context>
</TS>
