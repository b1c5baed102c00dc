<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<!-- Italian strings of the issue-11 gaps (teams, inactive inboxes, duplicate contacts,
     custom field values, shared admin list), written by hand; compiled with
     python -m convos_desktop.ui.i18n. -->
<TS version="2.1" language="it_IT" sourcelanguage="en_US">
<context>
    <name>ContactDock</name>
    <message>
        <source>Contact #{id}</source>
        <translation>Il contatto n. {id}</translation>
    </message>
    <message>
        <source>Not saved: {name} already has this e-mail address. Keep this contact's own e-mail, or write the customer's other one.</source>
        <translation>Non salvato: {name} ha già questo indirizzo e-mail. Lascia l'e-mail di questo contatto, oppure scrivi l'altra del cliente.</translation>
    </message>
    <message>
        <source>Not saved: {name} already has this phone number. Keep this contact's own phone, or write the customer's other one.</source>
        <translation>Non salvato: {name} ha già questo numero di telefono. Lascia il telefono di questo contatto, oppure scrivi l'altro del cliente.</translation>
    </message>
</context>
<context>
    <name>Errors</name>
    <message>
        <source>Another contact already has this phone or e-mail.</source>
        <translation>Un altro contatto ha già questo telefono o e-mail.</translation>
    </message>
    <message>
        <source>This inbox is deactivated and takes no new tickets: choose another inbox, or ask an administrator to activate it in Caselle di posta.</source>
        <translation>Questa casella è disattivata e non riceve nuovi ticket: scegli un'altra casella, oppure chiedi a un amministratore di attivarla in Caselle di posta.</translation>
    </message>
</context>
<context>
    <name>InboxesScreen</name>
    <message>
        <source>Teams</source>
        <translation>Team</translation>
    </message>
</context>
<context>
    <name>TeamsPanel</name>
    <message>
        <source>Agents</source>
        <translation>Agenti</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>Elimina</translation>
    </message>
    <message>
        <source>Delete team</source>
        <translation>Elimina team</translation>
    </message>
    <message>
        <source>Delete the team {name}? Its inboxes keep their tickets but have no team: new tickets wait in Non assegnato.</source>
        <translation>Eliminare il team {name}? Le sue caselle tengono i ticket ma restano senza team: i nuovi ticket attendono in Non assegnato.</translation>
    </message>
    <message>
        <source>Give the team a name.</source>
        <translation>Dai un nome al team.</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Nome</translation>
    </message>
    <message>
        <source>New team</source>
        <translation>Nuovo team</translation>
    </message>
    <message>
        <source>Only administrators change teams; you can read them.</source>
        <translation>Solo gli amministratori modificano i team; tu puoi leggerli.</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>Salva</translation>
    </message>
    <message>
        <source>Saved.</source>
        <translation>Salvato.</translation>
    </message>
    <message>
        <source>Saving…</source>
        <translation>Salvataggio…</translation>
    </message>
    <message>
        <source>Team deleted.</source>
        <translation>Team eliminato.</translation>
    </message>
</context>
</TS>
