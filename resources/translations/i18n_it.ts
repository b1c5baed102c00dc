<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<!-- Italian strings of system lines, contact activities and custom field names
     (ui/system_text.py, helper i18n), with the help page's words (Non assegnato, Finalizza,
     Riattiva, preso in carico, operatore).
     Compile with: python -m convos_desktop.ui.i18n i18n_it.ts -->
<TS version="2.1" language="it_IT" sourcelanguage="en_US">
<context>
    <name>SystemText</name>
    <message>
        <source>Customer since</source>
        <translation>Cliente dal</translation>
    </message>
    <message>
        <source>Tier</source>
        <translation>Livello</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>Lingua</translation>
    </message>
    <message>
        <source>Company</source>
        <translation>Azienda</translation>
    </message>
    <message>
        <source>VAT number</source>
        <translation>Partita IVA</translation>
    </message>
    <message>
        <source>Tax code</source>
        <translation>Codice fiscale</translation>
    </message>
    <message>
        <source>Birthday</source>
        <translation>Compleanno</translation>
    </message>
    <message>
        <source>Notes</source>
        <translation>Note</translation>
    </message>
    <message>
        <source>name</source>
        <translation>nome</translation>
    </message>
    <message>
        <source>phone</source>
        <translation>telefono</translation>
    </message>
    <message>
        <source>email</source>
        <translation>email</translation>
    </message>
    <message>
        <source>custom fields</source>
        <translation>campi personalizzati</translation>
    </message>
    <message>
        <source>an agent</source>
        <translation>un operatore</translation>
    </message>
    <message>
        <source>Ticket opened: handed over by the bot</source>
        <translation>Ticket aperto: passato dal bot</translation>
    </message>
    <message>
        <source>Ticket opened by %1</source>
        <translation>Ticket aperto da %1</translation>
    </message>
    <message>
        <source>Ticket assigned to %1 automatically</source>
        <translation>Ticket assegnato automaticamente a %1</translation>
    </message>
    <message>
        <source>%1 took the ticket</source>
        <translation>%1 ha preso in carico il ticket</translation>
    </message>
    <message>
        <source>Ticket assigned to %1 by %2</source>
        <translation>Ticket assegnato a %1 da %2</translation>
    </message>
    <message>
        <source>Ticket put back in Unassigned by %1</source>
        <translation>Ticket rimesso in Non assegnato da %1</translation>
    </message>
    <message>
        <source>Ticket finalized by %1</source>
        <translation>Ticket finalizzato da %1</translation>
    </message>
    <message>
        <source>Ticket reactivated by %1</source>
        <translation>Ticket riattivato da %1</translation>
    </message>
    <message>
        <source>Profile edited by %1</source>
        <translation>Profilo modificato da %1</translation>
    </message>
    <message>
        <source>Profile edited by %1: %2</source>
        <translation>Profilo modificato da %1: %2</translation>
    </message>
    <message>
        <source>No</source>
        <translation>No</translation>
    </message>
    <message>
        <source>Yes</source>
        <translation>Sì</translation>
    </message>
</context>
</TS>
