<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<!-- Italian strings of snooze, labels and pop-out windows (helper snooze15).
     Compile with: python -m convos_desktop.ui.i18n snooze15_it.ts -->
<TS version="2.1" language="it_IT" sourcelanguage="en_US">
<context>
    <name>ChatHeader</name>
    <message>
        <source>Labels</source>
        <translation>Etichette</translation>
    </message>
    <message>
        <source>Labels: %1</source>
        <translation>Etichette: %1</translation>
    </message>
    <message>
        <source>Snooze…</source>
        <translation>Posticipa…</translation>
    </message>
    <message>
        <source>Wake up</source>
        <translation>Riprendi ora</translation>
    </message>
</context>
<context>
    <name>LabelFilterCombo</name>
    <message>
        <source>Any label</source>
        <translation>Qualsiasi etichetta</translation>
    </message>
    <message>
        <source>Show only tickets with this label</source>
        <translation>Mostra solo i ticket con questa etichetta</translation>
    </message>
</context>
<context>
    <name>LabelsDialog</name>
    <message>
        <source>Add</source>
        <translation>Aggiungi</translation>
    </message>
    <message>
        <source>Colour…</source>
        <translation>Colore…</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>Elimina</translation>
    </message>
    <message>
        <source>Label colour</source>
        <translation>Colore dell'etichetta</translation>
    </message>
    <message>
        <source>Labels</source>
        <translation>Etichette</translation>
    </message>
    <message>
        <source>Name:</source>
        <translation>Nome:</translation>
    </message>
    <message>
        <source>New label name</source>
        <translation>Nome della nuova etichetta</translation>
    </message>
    <message>
        <source>Rename label</source>
        <translation>Rinomina etichetta</translation>
    </message>
    <message>
        <source>Rename…</source>
        <translation>Rinomina…</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Labels…</source>
        <translation>Etichette…</translation>
    </message>
</context>
<context>
    <name>Navigation</name>
    <message>
        <source>Snoozed</source>
        <translation>Posticipati</translation>
    </message>
</context>
<context>
    <name>Notifier</name>
    <message>
        <source>%1 replied: the snoozed ticket is back.</source>
        <translation>%1 ha risposto: il ticket posticipato è tornato.</translation>
    </message>
    <message>
        <source>The ticket of %1 is back from snooze.</source>
        <translation>Il ticket di %1 è tornato dal posticipo.</translation>
    </message>
    <message>
        <source>Ticket back</source>
        <translation>Ticket tornato</translation>
    </message>
</context>
<context>
    <name>SnoozeDialog</name>
    <message>
        <source>Bring the ticket back on:</source>
        <translation>Riporta il ticket il:</translation>
    </message>
    <message>
        <source>Snooze until</source>
        <translation>Posticipa fino a</translation>
    </message>
</context>
<context>
    <name>SnoozeMenu</name>
    <message>
        <source>In 1 hour</source>
        <translation>Tra 1 ora</translation>
    </message>
    <message>
        <source>Next Monday at 9:00</source>
        <translation>Lunedì prossimo alle 9:00</translation>
    </message>
    <message>
        <source>Pick a date and time…</source>
        <translation>Scegli data e ora…</translation>
    </message>
    <message>
        <source>Tomorrow at 9:00</source>
        <translation>Domani alle 9:00</translation>
    </message>
    <message>
        <source>Until the customer replies</source>
        <translation>Finché il cliente risponde</translation>
    </message>
</context>
<context>
    <name>TicketActions</name>
    <message>
        <source>Only the assignee or an admin can snooze this ticket</source>
        <translation>Solo l'assegnatario o un amministratore può posticipare questo ticket</translation>
    </message>
</context>
<context>
    <name>Workspace</name>
    <message>
        <source>Snoozed until %1</source>
        <translation>Posticipato fino a %1</translation>
    </message>
    <message>
        <source>Snoozed until the customer replies</source>
        <translation>Posticipato finché il cliente risponde</translation>
    </message>
</context>
</TS>
