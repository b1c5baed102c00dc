"""Fixed content of the demo workspace: people, inboxes, canned replies and chat lines.

Plain data only; ``seed`` and ``simulator`` pick from it with a seeded random generator so a
run is reproducible.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DemoAgent:
    """An agent of the demo workspace with its known password and team names."""

    name: str
    email: str
    password: str
    role: str
    teams: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DemoInbox:
    """An inbox of the demo workspace."""

    name: str
    channel: str
    team: str
    assignment: str
    max_open_per_agent: int | None


@dataclass(frozen=True, slots=True)
class DemoCanned:
    """A shared canned reply."""

    shortcut: str
    language: str
    text: str


TEAMS = ("Vendite", "Assistenza clienti", "Clienti Premium")

AGENTS = (
    DemoAgent("Amministratore Convos", "admin@convos.test", "admin", "admin", TEAMS),
    DemoAgent(
        "Giulia Demo",
        "demo@convos.test",
        "demo",
        "agent",
        ("Vendite", "Assistenza clienti", "Clienti Premium"),
    ),
    DemoAgent("Marco Rossi", "marco.rossi@convos.test", "demo", "agent", ("Vendite",)),
    DemoAgent(
        "Sara Bianchi",
        "sara.bianchi@convos.test",
        "demo",
        "agent",
        ("Vendite", "Assistenza clienti"),
    ),
    DemoAgent("Emma Clarke", "emma.clarke@convos.test", "demo", "agent", ("Assistenza clienti",)),
    DemoAgent(
        "Luca Esposito",
        "luca.esposito@convos.test",
        "demo",
        "agent",
        ("Assistenza clienti", "Clienti Premium"),
    ),
    DemoAgent("Chiara Romano", "chiara.romano@convos.test", "demo", "agent", ("Clienti Premium",)),
    DemoAgent("James Walker", "james.walker@convos.test", "demo", "agent", ("Vendite",)),
)

INBOXES = (
    DemoInbox("Vendite", "whatsapp", "Vendite", "round_robin", 5),
    DemoInbox("Assistenza", "web", "Assistenza clienti", "least_busy", None),
    DemoInbox("Resi", "email", "Assistenza clienti", "manual", None),
    DemoInbox("Premium", "telegram", "Clienti Premium", "manual", None),
)

ITALIAN_CONTACTS = (
    "Francesca Colombo",
    "Alessandro Ricci",
    "Martina Gallo",
    "Lorenzo Conti",
    "Sofia De Luca",
    "Matteo Marino",
    "Aurora Greco",
    "Leonardo Bruno",
    "Giorgia Fontana",
    "Tommaso Caruso",
    "Beatrice Mancini",
    "Riccardo Lombardi",
    "Elena Barbieri",
    "Gabriele Moretti",
    "Alice Rinaldi",
    "Federico Villa",
    "Chiara Ferrara",
    "Andrea Santoro",
    "Valentina Cattaneo",
    "Simone Pellegrini",
    "Nicolò D'Amico",
    "Ludovica Zanetti",
    "Pietro Guerra",
    "Maria Vittoria Anna Benedetta Sforza di Santa Margherita Ligure",
    "Ristorante Pizzeria Da Gennaro e Figli S.r.l. — Ufficio Acquisti e Forniture",
)
ENGLISH_CONTACTS = (
    "Oliver Bennett",
    "Amelia Hughes",
    "Harry Thompson",
    "Isla Robertson",
    "George Mitchell",
    "Olivia Turner",
    "Noah Campbell",
    "Charlotte Evans",
    "Jack Morrison",
    "Emily Carter",
    "Sophie Walsh",
    "Daniel O'Connor",
    "Grace Kelly-Patterson",
    "Alexander Montgomery-Fitzwilliam Worthington-Smythe III",
    "Bartholomew Christopherson-Vandenberghe (account aziendale Nord Europa)",
)
# First names and surnames the simulator combines for new customers.
SIMULATED_FIRST_NAMES = {
    "it": ("Giulio", "Marta", "Paolo", "Irene", "Stefano", "Anna", "Davide", "Laura", "Enrico"),
    "en": ("Liam", "Ava", "Henry", "Mia", "Thomas", "Ella", "William", "Lucy", "Samuel"),
}
SIMULATED_SURNAMES = {
    "it": ("Ferri", "Galli", "Costa", "Leone", "Longo", "Gentile", "Martini", "Sala", "Vitale"),
    "en": ("Brown", "Wilson", "Taylor", "Davies", "Clarke", "Wright", "Hall", "Wood", "Price"),
}

CANNED = (
    DemoCanned(
        "ciao",
        "it",
        "Ciao {contact_name}, sono {agent_name} del servizio clienti. Come posso aiutarti?",
    ),
    DemoCanned(
        "attesa",
        "it",
        "Grazie per la pazienza {contact_name}, sto verificando e ti rispondo tra pochi minuti.",
    ),
    DemoCanned(
        "chiusura",
        "it",
        "È stato un piacere aiutarti, {contact_name}! Se hai altre domande scrivici pure. "
        "Buona giornata da {agent_name}.",
    ),
    DemoCanned(
        "spedizione",
        "it",
        "Il tuo ordine è stato spedito: riceverai il codice di tracciamento via email. "
        "La consegna richiede di solito 2-4 giorni lavorativi.",
    ),
    DemoCanned(
        "rimborso",
        "it",
        "Abbiamo avviato il rimborso, {contact_name}: l'importo tornerà sul metodo di "
        "pagamento originale entro 5-10 giorni lavorativi.",
    ),
    DemoCanned(
        "orari",
        "it",
        "Il servizio clienti risponde dal lunedì al venerdì, dalle 9:00 alle 18:00.",
    ),
    DemoCanned(
        "hello",
        "en",
        "Hi {contact_name}, this is {agent_name} from customer service. How can I help you?",
    ),
    DemoCanned(
        "wait",
        "en",
        "Thanks for your patience, {contact_name}. I'm checking and will get back to you "
        "in a few minutes.",
    ),
    DemoCanned(
        "closing",
        "en",
        "Glad I could help, {contact_name}! Write to us any time. Have a great day, {agent_name}.",
    ),
    DemoCanned(
        "shipping",
        "en",
        "Your order has shipped: the tracking code is on its way by email. Delivery usually "
        "takes 2-4 working days.",
    ),
    DemoCanned(
        "refund",
        "en",
        "We have started your refund, {contact_name}: the amount will be back on your original "
        "payment method within 5-10 working days.",
    ),
)

BOT_GREETING = {
    "it": "Ciao! Sono l'assistente virtuale di Convos Shop. Scrivi pure la tua domanda.",
    "en": "Hi! I'm the Convos Shop virtual assistant. What can I do for you?",
}
BOT_HANDOFF = {
    "it": "Ti metto in contatto con un operatore, attendi qualche istante.",
    "en": "I'm connecting you with an agent, please wait a moment.",
}

CUSTOMER_OPENINGS = {
    "it": (
        "Buongiorno, il mio ordine n. {order} non è ancora arrivato.",
        "Salve, vorrei restituire un paio di scarpe: sono troppo piccole.",
        "Ciao, ho ricevuto un prodotto danneggiato, come faccio?",
        "Vorrei cambiare l'indirizzo di consegna dell'ordine {order}.",
        "Il pagamento con carta non va a buon fine, potete aiutarmi?",
        "Avete ancora disponibile la giacca blu in taglia M?",
        "Quando arriva il rimborso per il reso {order}?",
        "Posso avere la fattura dell'ordine {order}?",
    ),
    "en": (
        "Hello, my order #{order} still hasn't arrived.",
        "Hi, I'd like to return a jacket, it's the wrong size.",
        "The parcel arrived damaged, what should I do?",
        "Can I change the delivery address for order {order}?",
        "My card payment keeps failing at checkout.",
        "Do you ship to Ireland? How long does it take?",
        "When will I get the refund for return {order}?",
        "Could you send me the invoice for order {order}?",
    ),
}

CUSTOMER_FOLLOW_UPS = {
    "it": (
        "Grazie mille!",
        "Ok, attendo allora.",
        "Perfetto, il numero d'ordine è {order}.",
        "Non ho ricevuto nessuna email però...",
        "Va bene, grazie per l'aiuto 🙏",
        "Ecco la foto del pacco.",
        "Posso pagare anche con PayPal?",
        "Mi servirebbe entro venerdì, è possibile?",
    ),
    "en": (
        "Thanks a lot!",
        "OK, I'll wait then.",
        "Sure, the order number is {order}.",
        "I haven't received any email though...",
        "Great, thank you for your help 🙂",
        "Here is a photo of the parcel.",
        "Can I pay with PayPal instead?",
        "I need it by Friday, is that possible?",
    ),
}

AGENT_REPLIES = {
    "it": (
        "Ciao! Controllo subito il tuo ordine.",
        "Ho verificato: il pacco è in consegna oggi.",
        "Ti ho inviato l'etichetta per il reso via email.",
        "Ho aggiornato l'indirizzo, riceverai una conferma.",
        "Il rimborso è stato emesso ieri.",
        "Grazie, ho tutto quello che mi serve.",
    ),
    "en": (
        "Hi! Let me check your order right away.",
        "I checked: the parcel is out for delivery today.",
        "I've emailed you the return label.",
        "I've updated the address, you'll get a confirmation.",
        "The refund was issued yesterday.",
        "Thanks, I have everything I need.",
    ),
}

NOTES = (
    "Cliente abituale, offrire spedizione gratuita se serve.",
    "Checked with the warehouse: restock due next week.",
    "Attenzione: secondo reclamo nello stesso mese.",
)

# Notes in which a colleague names the demo agent ({name}), by the customer's language: the
# Menzioni screen starts with two unread and one read.
MENTION_NOTES = {
    "it": (
        "@{name} puoi dare un'occhiata tu? Il cliente ha chiesto di te per nome.",
        "@{name} il rimborso dell'ordine precedente l'avevi gestito tu: confermi l'importo?",
        "@{name} ho parlato con il magazzino, il pacco riparte domani: glielo dici tu?",
    ),
    "en": (
        "@{name} could you take a look? The customer asked for you by name.",
        "@{name} you handled the previous refund: can you confirm the amount?",
        "@{name} the warehouse says it ships again tomorrow: will you tell them?",
    ),
}

CAMPAIGNS = {
    "campaign_mass": {
        "it": "🎉 Saldi di primavera: -30% su tutto il catalogo fino a domenica!",
        "en": "🎉 Spring sale: 30% off the whole catalogue until Sunday!",
    },
    "campaign_transactional": {
        "it": "Il tuo ordine {order} è stato spedito. Tracciamento: CV{order}IT",
        "en": "Your order {order} has shipped. Tracking: CV{order}GB",
    },
}
