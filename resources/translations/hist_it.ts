<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="it_IT" sourcelanguage="en">
    <context>
        <name>Performance</name>
        <message>
            <source>Backlog</source>
            <translation>Backlog</translation>
        </message>
        <message>
            <source>Closed</source>
            <translation>Chiusi</translation>
        </message>
        <message>
            <source>First response (median)</source>
            <translation>Prima risposta (mediana)</translation>
        </message>
        <message>
            <source>First response (p90)</source>
            <translation>Prima risposta (p90)</translation>
        </message>
        <message>
            <source>Name</source>
            <translation>Nome</translation>
        </message>
        <message>
            <source>Opened</source>
            <translation>Aperti</translation>
        </message>
        <message>
            <source>Previous period: {before}</source>
            <translation>Periodo precedente: {before}</translation>
        </message>
        <message>
            <source>Resolution (median)</source>
            <translation>Risoluzione (mediana)</translation>
        </message>
        <message>
            <source>Resolution (p90)</source>
            <translation>Risoluzione (p90)</translation>
        </message>
        <message>
            <source>Total</source>
            <translation>Totale</translation>
        </message>
        <message>
            <source>{column} (previous period)</source>
            <translation>{column} (periodo precedente)</translation>
        </message>
    </context>
    <context>
        <name>FigureCard</name>
        <message>
            <source>{change} on the previous period</source>
            <translation>{change} rispetto al periodo precedente</translation>
        </message>
    </context>
    <context>
        <name>PerformanceScreen</name>
        <message>
            <source>Ask the server again (F5)</source>
            <translation>Chiedi di nuovo al server (F5)</translation>
        </message>
        <message>
            <source>Backlog</source>
            <translation>Backlog</translation>
        </message>
        <message>
            <source>Backlog at the end</source>
            <translation>Backlog alla fine</translation>
        </message>
        <message>
            <source>By agent</source>
            <translation>Per agente</translation>
        </message>
        <message>
            <source>By agent you see your own figures only.</source>
            <translation>Per agente vedi solo i tuoi dati.</translation>
        </message>
        <message>
            <source>By inbox</source>
            <translation>Per casella di posta</translation>
        </message>
        <message>
            <source>CSV (*.csv)</source>
            <translation>CSV (*.csv)</translation>
        </message>
        <message>
            <source>Chart</source>
            <translation>Grafico</translation>
        </message>
        <message>
            <source>Closed</source>
            <translation>Chiusi</translation>
        </message>
        <message>
            <source>Could not save {name}.</source>
            <translation>Impossibile salvare {name}.</translation>
        </message>
        <message>
            <source>Custom…</source>
            <translation>Personalizzato…</translation>
        </message>
        <message>
            <source>Export CSV</source>
            <translation>Esporta CSV</translation>
        </message>
        <message>
            <source>Export CSV…</source>
            <translation>Esporta CSV…</translation>
        </message>
        <message>
            <source>First response (median)</source>
            <translation>Prima risposta (mediana)</translation>
        </message>
        <message>
            <source>First response, median (minutes)</source>
            <translation>Prima risposta, mediana (minuti)</translation>
        </message>
        <message>
            <source>From</source>
            <translation>Dal</translation>
        </message>
        <message>
            <source>Group by</source>
            <translation>Raggruppa per</translation>
        </message>
        <message>
            <source>Last 30 days</source>
            <translation>Ultimi 30 giorni</translation>
        </message>
        <message>
            <source>Last 7 days</source>
            <translation>Ultimi 7 giorni</translation>
        </message>
        <message>
            <source>Last 90 days</source>
            <translation>Ultimi 90 giorni</translation>
        </message>
        <message>
            <source>Loading…</source>
            <translation>Caricamento…</translation>
        </message>
        <message>
            <source>No figures yet</source>
            <translation>Ancora nessun dato</translation>
        </message>
        <message>
            <source>Opened</source>
            <translation>Aperti</translation>
        </message>
        <message>
            <source>PNG (*.png)</source>
            <translation>PNG (*.png)</translation>
        </message>
        <message>
            <source>Performance</source>
            <translation>Performance</translation>
        </message>
        <message>
            <source>Period</source>
            <translation>Periodo</translation>
        </message>
        <message>
            <source>Refresh</source>
            <translation>Aggiorna</translation>
        </message>
        <message>
            <source>Resolution (median)</source>
            <translation>Risoluzione (mediana)</translation>
        </message>
        <message>
            <source>Resolution, median (hours)</source>
            <translation>Risoluzione, mediana (ore)</translation>
        </message>
        <message>
            <source>Response times per day</source>
            <translation>Tempi di risposta al giorno</translation>
        </message>
        <message>
            <source>Save chart</source>
            <translation>Salva grafico</translation>
        </message>
        <message>
            <source>Save chart as PNG…</source>
            <translation>Salva grafico come PNG…</translation>
        </message>
        <message>
            <source>Save the table as CSV (Ctrl+E)</source>
            <translation>Salva la tabella come CSV (Ctrl+E)</translation>
        </message>
        <message>
            <source>Saved {name}.</source>
            <translation>Salvato {name}.</translation>
        </message>
        <message>
            <source>Tickets per day</source>
            <translation>Ticket al giorno</translation>
        </message>
        <message>
            <source>To</source>
            <translation>Al</translation>
        </message>
        <message>
            <source>Today</source>
            <translation>Oggi</translation>
        </message>
        <message>
            <source>{first} – {last}, compared with the {days} days before. Updated at {time}.</source>
            <translation>{first} – {last}, confrontato con i {days} giorni precedenti. Aggiornato alle {time}.</translation>
        </message>
    </context>
    <context>
        <name>Formatting</name>
        <message>
            <source>{d} d</source>
            <translation>{d} g</translation>
        </message>
        <message>
            <source>{d} d {h} h</source>
            <translation>{d} g {h} h</translation>
        </message>
        <message>
            <source>{h} h</source>
            <translation>{h} h</translation>
        </message>
        <message>
            <source>{h} h {m} min</source>
            <translation>{h} h {m} min</translation>
        </message>
        <message>
            <source>{n} min</source>
            <translation>{n} min</translation>
        </message>
        <message>
            <source>{n} s</source>
            <translation>{n} s</translation>
        </message>
    </context>
    <context>
        <name>TicketHistory</name>
        <message>
            <source>Agent</source>
            <translation>Agente</translation>
        </message>
        <message>
            <source>Closed</source>
            <translation>Chiuso</translation>
        </message>
        <message>
            <source>Contact</source>
            <translation>Contatto</translation>
        </message>
        <message>
            <source>First response</source>
            <translation>Prima risposta</translation>
        </message>
        <message>
            <source>Inbox</source>
            <translation>Casella di posta</translation>
        </message>
        <message>
            <source>Open</source>
            <translation>Aperto</translation>
        </message>
        <message>
            <source>Opened</source>
            <translation>Aperto il</translation>
        </message>
        <message>
            <source>Resolution time</source>
            <translation>Tempo di risoluzione</translation>
        </message>
        <message>
            <source>Status</source>
            <translation>Stato</translation>
        </message>
        <message>
            <source>Unassigned</source>
            <translation>Non assegnato</translation>
        </message>
    </context>
    <context>
        <name>TicketHistoryScreen</name>
        <message>
            <source>1 ticket</source>
            <translation>1 ticket</translation>
        </message>
        <message>
            <source>Agent</source>
            <translation>Agente</translation>
        </message>
        <message>
            <source>All agents</source>
            <translation>Tutti gli agenti</translation>
        </message>
        <message>
            <source>All inboxes</source>
            <translation>Tutte le caselle</translation>
        </message>
        <message>
            <source>Any status</source>
            <translation>Qualsiasi stato</translation>
        </message>
        <message>
            <source>Any time</source>
            <translation>Sempre</translation>
        </message>
        <message>
            <source>CSV (*.csv)</source>
            <translation>CSV (*.csv)</translation>
        </message>
        <message>
            <source>Closed</source>
            <translation>Chiusi</translation>
        </message>
        <message>
            <source>Contact: {name}  ✕</source>
            <translation>Contatto: {name}  ✕</translation>
        </message>
        <message>
            <source>Custom…</source>
            <translation>Personalizzato…</translation>
        </message>
        <message>
            <source>Export CSV</source>
            <translation>Esporta CSV</translation>
        </message>
        <message>
            <source>Export CSV…</source>
            <translation>Esporta CSV…</translation>
        </message>
        <message>
            <source>Exporting…</source>
            <translation>Esportazione…</translation>
        </message>
        <message>
            <source>From</source>
            <translation>Dal</translation>
        </message>
        <message>
            <source>Inbox</source>
            <translation>Casella di posta</translation>
        </message>
        <message>
            <source>Last 30 days</source>
            <translation>Ultimi 30 giorni</translation>
        </message>
        <message>
            <source>Last 7 days</source>
            <translation>Ultimi 7 giorni</translation>
        </message>
        <message>
            <source>Last 90 days</source>
            <translation>Ultimi 90 giorni</translation>
        </message>
        <message>
            <source>Loading…</source>
            <translation>Caricamento…</translation>
        </message>
        <message>
            <source>Open</source>
            <translation>Aperti</translation>
        </message>
        <message>
            <source>Open ticket</source>
            <translation>Apri ticket</translation>
        </message>
        <message>
            <source>Open the ticket in the conversations (Enter)</source>
            <translation>Apri il ticket nelle conversazioni (Invio)</translation>
        </message>
        <message>
            <source>Opened</source>
            <translation>Aperto</translation>
        </message>
        <message>
            <source>Save every matching ticket as CSV (Ctrl+E)</source>
            <translation>Salva come CSV tutti i ticket trovati (Ctrl+E)</translation>
        </message>
        <message>
            <source>Saved {name}.</source>
            <translation>Salvato {name}.</translation>
        </message>
        <message>
            <source>Search</source>
            <translation>Cerca</translation>
        </message>
        <message>
            <source>Search text, contact name, phone or email</source>
            <translation>Cerca testo, nome del contatto, telefono o email</translation>
        </message>
        <message>
            <source>Show every contact again</source>
            <translation>Mostra di nuovo tutti i contatti</translation>
        </message>
        <message>
            <source>Status</source>
            <translation>Stato</translation>
        </message>
        <message>
            <source>Tickets</source>
            <translation>Ticket</translation>
        </message>
        <message>
            <source>To</source>
            <translation>Al</translation>
        </message>
        <message>
            <source>Today</source>
            <translation>Oggi</translation>
        </message>
        <message>
            <source>{n} tickets</source>
            <translation>{n} ticket</translation>
        </message>
    </context>
    <context>
        <name>ConversationHistory</name>
        <message>
            <source>Agent</source>
            <translation>Agente</translation>
        </message>
        <message>
            <source>Chatbot</source>
            <translation>Chatbot</translation>
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
            <source>Last activity</source>
            <translation>Ultima attività</translation>
        </message>
        <message>
            <source>Last message</source>
            <translation>Ultimo messaggio</translation>
        </message>
        <message>
            <source>Mass campaign</source>
            <translation>Campagna massiva</translation>
        </message>
        <message>
            <source>Started</source>
            <translation>Iniziata il</translation>
        </message>
        <message>
            <source>Started by</source>
            <translation>Avviata da</translation>
        </message>
        <message>
            <source>Transactional campaign</source>
            <translation>Campagna transazionale</translation>
        </message>
    </context>
    <context>
        <name>ConversationsScreen</name>
        <message>
            <source>1 conversation</source>
            <translation>1 conversazione</translation>
        </message>
        <message>
            <source>Agent</source>
            <translation>Agente</translation>
        </message>
        <message>
            <source>All agents</source>
            <translation>Tutti gli agenti</translation>
        </message>
        <message>
            <source>All inboxes</source>
            <translation>Tutte le caselle</translation>
        </message>
        <message>
            <source>Any origin</source>
            <translation>Qualsiasi origine</translation>
        </message>
        <message>
            <source>Any time</source>
            <translation>Sempre</translation>
        </message>
        <message>
            <source>Conversations</source>
            <translation>Conversazioni</translation>
        </message>
        <message>
            <source>Custom…</source>
            <translation>Personalizzato…</translation>
        </message>
        <message>
            <source>From</source>
            <translation>Dal</translation>
        </message>
        <message>
            <source>Inbox</source>
            <translation>Casella di posta</translation>
        </message>
        <message>
            <source>Last 30 days</source>
            <translation>Ultimi 30 giorni</translation>
        </message>
        <message>
            <source>Last 7 days</source>
            <translation>Ultimi 7 giorni</translation>
        </message>
        <message>
            <source>Last 90 days</source>
            <translation>Ultimi 90 giorni</translation>
        </message>
        <message>
            <source>Loading…</source>
            <translation>Caricamento…</translation>
        </message>
        <message>
            <source>Open its ticket in the conversations</source>
            <translation>Apri il suo ticket nelle conversazioni</translation>
        </message>
        <message>
            <source>Open ticket</source>
            <translation>Apri ticket</translation>
        </message>
        <message>
            <source>Read only: no open ticket</source>
            <translation>Sola lettura: nessun ticket aperto</translation>
        </message>
        <message>
            <source>Search</source>
            <translation>Cerca</translation>
        </message>
        <message>
            <source>Search text, contact name, phone or email</source>
            <translation>Cerca testo, nome del contatto, telefono o email</translation>
        </message>
        <message>
            <source>Select a conversation to read it.</source>
            <translation>Seleziona una conversazione per leggerla.</translation>
        </message>
        <message>
            <source>Started</source>
            <translation>Iniziata</translation>
        </message>
        <message>
            <source>Started by</source>
            <translation>Avviata da</translation>
        </message>
        <message>
            <source>To</source>
            <translation>Al</translation>
        </message>
        <message>
            <source>Today</source>
            <translation>Oggi</translation>
        </message>
        <message>
            <source>{inbox} · {origin} · started {when}</source>
            <translation>{inbox} · {origin} · iniziata il {when}</translation>
        </message>
        <message>
            <source>{n} conversations</source>
            <translation>{n} conversazioni</translation>
        </message>
    </context>
    <context>
        <name>HistoryFilters</name>
        <message>
            <source>Updated at {time}; {key} updates the list.</source>
            <translation>Aggiornato alle {time}; {key} lo aggiorna.</translation>
        </message>
        <message>
            <source>All inboxes</source>
            <translation>Tutte le caselle</translation>
        </message>
        <message>
            <source>All agents</source>
            <translation>Tutti gli agenti</translation>
        </message>
        <message>
            <source>Any time</source>
            <translation>Sempre</translation>
        </message>
        <message>
            <source>Today</source>
            <translation>Oggi</translation>
        </message>
        <message>
            <source>Last 7 days</source>
            <translation>Ultimi 7 giorni</translation>
        </message>
        <message>
            <source>Last 30 days</source>
            <translation>Ultimi 30 giorni</translation>
        </message>
        <message>
            <source>Last 90 days</source>
            <translation>Ultimi 90 giorni</translation>
        </message>
        <message>
            <source>Custom…</source>
            <translation>Personalizzato…</translation>
        </message>
        <message>
            <source>From</source>
            <translation>Dal</translation>
        </message>
        <message>
            <source>To</source>
            <translation>Al</translation>
        </message>
    </context>
</TS>
