<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<!-- Italian strings of the Scorciatoie and Caselle di posta screens and the file library
     (helper screens-b), written by hand; compiled with python -m convos_desktop.ui.i18n. -->
<TS version="2.1" language="it_IT" sourcelanguage="en_US">
<context>
    <name>CannedListModel</name>
    <message>
        <source>personal</source>
        <translation>personale</translation>
    </message>
    <message>
        <source>shared</source>
        <translation>condivisa</translation>
    </message>
</context>
<context>
    <name>InboxListModel</name>
    <message>
        <source>inactive</source>
        <translation>disattivata</translation>
    </message>
</context>
<context>
    <name>InboxesScreen</name>
    <message>
        <source>Active (takes new customer messages)</source>
        <translation>Attiva (riceve nuovi messaggi dei clienti)</translation>
    </message>
    <message>
        <source>Assignment</source>
        <translation>Assegnazione</translation>
    </message>
    <message>
        <source>Business hours</source>
        <translation>Orari di apertura</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Annulla</translation>
    </message>
    <message>
        <source>Cancel the changes (Esc)</source>
        <translation>Annulla le modifiche (Esc)</translation>
    </message>
    <message>
        <source>Channel</source>
        <translation>Canale</translation>
    </message>
    <message>
        <source>Copied. It is shown only this once.</source>
        <translation>Copiata. Viene mostrata solo questa volta.</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>Copia</translation>
    </message>
    <message>
        <source>Copy the key now: it is shown only this once.</source>
        <translation>Copia ora la chiave: viene mostrata solo questa volta.</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>Elimina</translation>
    </message>
    <message>
        <source>Delete inbox</source>
        <translation>Elimina casella</translation>
    </message>
    <message>
        <source>Delete the inbox %s? This cannot be undone.</source>
        <translation>Eliminare la casella %s? L'operazione non si può annullare.</translation>
    </message>
    <message>
        <source>Delete the selected inbox (Del)</source>
        <translation>Elimina la casella selezionata (Canc)</translation>
    </message>
    <message>
        <source>E-mail</source>
        <translation>E-mail</translation>
    </message>
    <message>
        <source>File library</source>
        <translation>Libreria file</translation>
    </message>
    <message>
        <source>Give %s a new key? The current key stops working at once: the channel gateway needs the new one.</source>
        <translation>Dare una nuova chiave a %s? La chiave attuale smette subito di funzionare: il gateway del canale avrà bisogno di quella nuova.</translation>
    </message>
    <message>
        <source>Give the inbox a name.</source>
        <translation>Dai un nome alla casella.</translation>
    </message>
    <message>
        <source>Inbox key</source>
        <translation>Chiave della casella</translation>
    </message>
    <message>
        <source>Inboxes</source>
        <translation>Caselle</translation>
    </message>
    <message>
        <source>Inboxes classify conversations and name the team responsible, with the assignment settings of each. Admins change them; everyone else reads them.</source>
        <translation>Le caselle di posta classificano le conversazioni e indicano il team responsabile, con le impostazioni di assegnazione di ciascuna. Gli amministratori le modificano; gli altri le consultano.</translation>
    </message>
    <message>
        <source>Least busy: the online agent with fewest open tickets</source>
        <translation>Meno occupato: l'agente online con meno ticket aperti</translation>
    </message>
    <message>
        <source>Manual: agents take tickets</source>
        <translation>Manuale: gli agenti prendono i ticket</translation>
    </message>
    <message>
        <source>Mon-Fri 9:00-18:00, Sat 9:00-13:00</source>
        <translation>Lun-Ven 9:00-18:00, Sab 9:00-13:00</translation>
    </message>
    <message>
        <source>Not given</source>
        <translation>Non indicati</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Nome</translation>
    </message>
    <message>
        <source>New inbox</source>
        <translation>Nuova casella</translation>
    </message>
    <message>
        <source>New inbox (Ctrl+N)</source>
        <translation>Nuova casella (Ctrl+N)</translation>
    </message>
    <message>
        <source>No limit</source>
        <translation>Nessun limite</translation>
    </message>
    <message>
        <source>No team</source>
        <translation>Nessun team</translation>
    </message>
    <message>
        <source>No team: new tickets wait in Non assegnato.</source>
        <translation>Nessun team: i nuovi ticket aspettano in Non assegnato.</translation>
    </message>
    <message>
        <source>Only admins change inboxes.</source>
        <translation>Solo gli amministratori modificano le caselle.</translation>
    </message>
    <message>
        <source>Open tickets per agent</source>
        <translation>Ticket aperti per agente</translation>
    </message>
    <message>
        <source>Responsible team</source>
        <translation>Team responsabile</translation>
    </message>
    <message>
        <source>Rotate inbox key</source>
        <translation>Rigenera la chiave della casella</translation>
    </message>
    <message>
        <source>Rotate key…</source>
        <translation>Rigenera chiave…</translation>
    </message>
    <message>
        <source>Round robin: the next online agent of the team</source>
        <translation>A rotazione: il prossimo agente online del team</translation>
    </message>
    <message>
        <source>SMS</source>
        <translation>SMS</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>Salva</translation>
    </message>
    <message>
        <source>Save (Ctrl+S)</source>
        <translation>Salva (Ctrl+S)</translation>
    </message>
    <message>
        <source>Shown once, when the inbox is made or rotated</source>
        <translation>Mostrata una sola volta, quando la casella viene creata o la chiave rigenerata</translation>
    </message>
    <message>
        <source>Team agents</source>
        <translation>Agenti del team</translation>
    </message>
    <message>
        <source>Telegram</source>
        <translation>Telegram</translation>
    </message>
    <message>
        <source>The most open tickets one agent may hold in this inbox (0: no limit)</source>
        <translation>Il massimo di ticket aperti che un agente può avere in questa casella (0: nessun limite)</translation>
    </message>
    <message>
        <source>The team has no agents yet.</source>
        <translation>Il team non ha ancora agenti.</translation>
    </message>
    <message>
        <source>This inbox keeps the history of its conversations, so it cannot be deleted: deactivate it instead (untick Active and save).</source>
        <translation>Questa casella conserva lo storico delle sue conversazioni e non si può eliminare: disattivala (togli la spunta da Attiva e salva).</translation>
    </message>
    <message>
        <source>This inbox was deleted meanwhile.</source>
        <translation>Nel frattempo questa casella è stata eliminata.</translation>
    </message>
    <message>
        <source>Web chat</source>
        <translation>Chat web</translation>
    </message>
    <message>
        <source>WhatsApp</source>
        <translation>WhatsApp</translation>
    </message>
    <message>
        <source>WhatsApp Sales</source>
        <translation>WhatsApp Vendite</translation>
    </message>
    <message numerus="yes">
        <source>This inbox still has %n open ticket(s): close them first, or deactivate the inbox instead (untick Active and save).</source>
        <translation>
            <numerusform>Questa casella ha ancora %n ticket aperto: chiudilo prima, oppure disattiva la casella (togli la spunta da Attiva e salva).</numerusform>
            <numerusform>Questa casella ha ancora %n ticket aperti: chiudili prima, oppure disattiva la casella (togli la spunta da Attiva e salva).</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>LibraryBrowser</name>
    <message>
        <source>All kinds</source>
        <translation>Tutti i tipi</translation>
    </message>
    <message>
        <source>Audio</source>
        <translation>Audio</translation>
    </message>
    <message>
        <source>Documents</source>
        <translation>Documenti</translation>
    </message>
    <message>
        <source>Images</source>
        <translation>Immagini</translation>
    </message>
    <message>
        <source>No library file matches the search.</source>
        <translation>Nessun file della libreria corrisponde alla ricerca.</translation>
    </message>
    <message>
        <source>Search the library by name</source>
        <translation>Cerca nella libreria per nome</translation>
    </message>
    <message>
        <source>Stickers</source>
        <translation>Sticker</translation>
    </message>
    <message>
        <source>The library is empty.</source>
        <translation>La libreria è vuota.</translation>
    </message>
    <message>
        <source>Video</source>
        <translation>Video</translation>
    </message>
</context>
<context>
    <name>LibraryPanel</name>
    <message>
        <source>A sticker must be exactly 512x512 pixels, have a transparent background and weigh under 100 KB</source>
        <translation>Uno sticker deve essere di 512x512 pixel esatti, avere lo sfondo trasparente e pesare meno di 100 KB</translation>
    </message>
    <message>
        <source>Add files to the library</source>
        <translation>Aggiungi file alla libreria</translation>
    </message>
    <message>
        <source>Add files…</source>
        <translation>Aggiungi file…</translation>
    </message>
    <message>
        <source>Add images as stickers</source>
        <translation>Aggiungi le immagini come sticker</translation>
    </message>
    <message>
        <source>Adding %s…</source>
        <translation>Aggiunta di %s…</translation>
    </message>
    <message>
        <source>Cannot read: %s</source>
        <translation>Impossibile leggere: %s</translation>
    </message>
    <message>
        <source>Not a sticker: it must be an image</source>
        <translation>Non è uno sticker: deve essere un'immagine</translation>
    </message>
    <message>
        <source>Only admins add and remove library files.</source>
        <translation>Solo gli amministratori aggiungono e tolgono file dalla libreria.</translation>
    </message>
    <message>
        <source>Remove from library</source>
        <translation>Togli dalla libreria</translation>
    </message>
    <message>
        <source>Too large: files can be at most %s</source>
        <translation>Troppo grande: i file possono essere al massimo di %s</translation>
    </message>
    <message numerus="yes">
        <source>%n file(s) added to the library.</source>
        <translation>
            <numerusform>%n file aggiunto alla libreria.</numerusform>
            <numerusform>%n file aggiunti alla libreria.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n file(s) removed from the library.</source>
        <translation>
            <numerusform>%n file tolto dalla libreria.</numerusform>
            <numerusform>%n file tolti dalla libreria.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Remove %n file(s) from the library? Messages that already carry them keep them.</source>
        <translation>
            <numerusform>Togliere %n file dalla libreria? I messaggi che lo contengono già lo conservano.</numerusform>
            <numerusform>Togliere %n file dalla libreria? I messaggi che li contengono già li conservano.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ShortcutsScreen</name>
    <message>
        <source>(the text appears here)</source>
        <translation>(qui compare il testo)</translation>
    </message>
    <message>
        <source>/%s (shared: only admins change it)</source>
        <translation>/%s (condivisa: la modificano solo gli amministratori)</translation>
    </message>
    <message>
        <source>Any language</source>
        <translation>Qualsiasi lingua</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Annulla</translation>
    </message>
    <message>
        <source>Cancel the changes (Esc)</source>
        <translation>Annulla le modifiche (Esc)</translation>
    </message>
    <message>
        <source>Code</source>
        <translation>Codice</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>Elimina</translation>
    </message>
    <message>
        <source>Delete quick reply</source>
        <translation>Elimina risposta rapida</translation>
    </message>
    <message>
        <source>Delete the quick reply /%s? This cannot be undone.</source>
        <translation>Eliminare la risposta rapida /%s? L'operazione non si può annullare.</translation>
    </message>
    <message>
        <source>Delete the selected quick reply (Del)</source>
        <translation>Elimina la risposta rapida selezionata (Canc)</translation>
    </message>
    <message>
        <source>Edit /%s</source>
        <translation>Modifica /%s</translation>
    </message>
    <message>
        <source>English</source>
        <translation>Inglese</translation>
    </message>
    <message>
        <source>Good morning {contact_name}, this is {agent_name}. How can I help?</source>
        <translation>Buongiorno {contact_name}, sono {agent_name}. Come posso aiutarla?</translation>
    </message>
    <message>
        <source>Insert:</source>
        <translation>Inserisci:</translation>
    </message>
    <message>
        <source>Italian</source>
        <translation>Italiano</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>Lingua</translation>
    </message>
    <message>
        <source>New quick reply</source>
        <translation>Nuova risposta rapida</translation>
    </message>
    <message>
        <source>New quick reply (Ctrl+N)</source>
        <translation>Nuova risposta rapida (Ctrl+N)</translation>
    </message>
    <message>
        <source>No quick replies yet: press New quick reply.</source>
        <translation>Ancora nessuna risposta rapida: premi Nuova risposta rapida.</translation>
    </message>
    <message>
        <source>No quick reply matches the search.</source>
        <translation>Nessuna risposta rapida corrisponde alla ricerca.</translation>
    </message>
    <message>
        <source>Only admins make shared quick replies.</source>
        <translation>Solo gli amministratori creano risposte rapide condivise.</translation>
    </message>
    <message>
        <source>Personal (only you)</source>
        <translation>Personale (solo tu)</translation>
    </message>
    <message>
        <source>Placeholders</source>
        <translation>Segnaposto</translation>
    </message>
    <message>
        <source>Preview</source>
        <translation>Anteprima</translation>
    </message>
    <message>
        <source>Quick replies: prepared texts you insert while chatting with / or the ⚡ button. Personal ones are yours; shared ones (made by admins) are for everyone.</source>
        <translation>Risposte rapide: testi pronti da inserire in chat con / o con il pulsante ⚡. Quelle personali sono tue; quelle condivise (create dagli amministratori) sono per tutti.</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>Salva</translation>
    </message>
    <message>
        <source>Save (Ctrl+S)</source>
        <translation>Salva (Ctrl+S)</translation>
    </message>
    <message>
        <source>Search by code or text</source>
        <translation>Cerca per codice o testo</translation>
    </message>
    <message>
        <source>Shared (every agent)</source>
        <translation>Condivisa (tutti gli agenti)</translation>
    </message>
    <message>
        <source>Text</source>
        <translation>Testo</translation>
    </message>
    <message>
        <source>The code /%s is already used by another quick reply: choose another.</source>
        <translation>Il codice /%s è già usato da un'altra risposta rapida: scegline un altro.</translation>
    </message>
    <message>
        <source>The code is at most 64 characters.</source>
        <translation>Il codice può avere al massimo 64 caratteri.</translation>
    </message>
    <message>
        <source>The code is one word, without spaces.</source>
        <translation>Il codice è una sola parola, senza spazi.</translation>
    </message>
    <message>
        <source>This quick reply was deleted meanwhile.</source>
        <translation>Nel frattempo questa risposta rapida è stata eliminata.</translation>
    </message>
    <message>
        <source>Visible to</source>
        <translation>Visibile a</translation>
    </message>
    <message>
        <source>Who sees a reply is chosen when it is made.</source>
        <translation>Chi vede una risposta si sceglie quando la si crea.</translation>
    </message>
    <message>
        <source>Write a code, for example /greeting.</source>
        <translation>Scrivi un codice, per esempio /saluto.</translation>
    </message>
    <message>
        <source>Write the text.</source>
        <translation>Scrivi il testo.</translation>
    </message>
    <message>
        <source>greeting</source>
        <translation>saluto</translation>
    </message>
    <message>
        <source>the contact's name</source>
        <translation>il nome del contatto</translation>
    </message>
    <message>
        <source>your name</source>
        <translation>il tuo nome</translation>
    </message>
</context>
</TS>
