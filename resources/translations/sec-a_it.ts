<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<!-- Italian strings added by helper sec-a (login throttling).
     Compile with: python -m convos_desktop.ui.i18n sec-a_it.ts -->
<TS version="2.1" language="it_IT" sourcelanguage="en_US">
<context>
    <name>LoginDialog</name>
    <message>
        <source>Too many failed sign-ins. Try again in a second.</source>
        <translation>Troppi accessi non riusciti. Riprova tra un secondo.</translation>
    </message>
    <message>
        <source>Too many failed sign-ins. Try again in {seconds} seconds.</source>
        <translation>Troppi accessi non riusciti. Riprova tra {seconds} secondi.</translation>
    </message>
    <message>
        <source>Too many failed sign-ins. Try again in {minutes} minutes.</source>
        <translation>Troppi accessi non riusciti. Riprova tra {minutes} minuti.</translation>
    </message>
</context>
</TS>
