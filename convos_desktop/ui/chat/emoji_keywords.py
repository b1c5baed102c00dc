"""Everyday words that find emoji whose names do not contain them ("triste" -> 😢).

The ``emoji`` package gives each emoji one CLDR *name* per language ("faccina che piange"),
not the CLDR *keywords* people search with ("triste", "sad"). This small table adds the words
an agent types in a chat, in Italian and in English; the picker searches it next to the names.
"""

from __future__ import annotations

# word -> emoji, best first. Keys are lower case; a query word matches a key it starts.
KEYWORDS: dict[str, str] = {
    # Italian
    "triste": "😢🙁😞😔☹️😟😥😭🥺",
    "tristezza": "😢🙁😞😔",
    "piangere": "😢😭🥲",
    "pianto": "😢😭",
    "lacrime": "😢😭🥲😂",
    "felice": "😀😃😄😊🙂😁🥰",
    "contento": "😊🙂😀😄",
    "sorriso": "🙂😊😀😃😄",
    "ridere": "😂🤣😆😄",
    "risata": "😂🤣😆",
    "arrabbiato": "😠😡🤬😤",
    "rabbia": "😠😡🤬",
    "preoccupato": "😟😰😥😬",
    "paura": "😨😱😰",
    "sorpreso": "😮😲😯🤯",
    "stanco": "😩😫🥱😴",
    "sonno": "😴🥱💤",
    "scusa": "🙏😔😅",
    "scuse": "🙏😔",
    "grazie": "🙏😊💐",
    "ciao": "👋🙂",
    "saluto": "👋🙂",
    "amore": "❤️😍🥰💕😘",
    "cuore": "❤️💕💖💙",
    "bacio": "😘💋😚",
    "ok": "👌👍✅🆗",
    "bene": "👍👌😊✅",
    "perfetto": "👌✅💯",
    "male": "👎😞🤕",
    "no": "👎❌🙅",
    "sì": "👍✅🙆",
    "si": "👍✅🙆",
    "festa": "🎉🥳🎊🎂",
    "auguri": "🎉🎂🥳🎁",
    "compleanno": "🎂🎉🥳🎁",
    "regalo": "🎁",
    "soldi": "💰💶💵💳",
    "pagamento": "💳💶💰",
    "rimborso": "💶💸↩️",
    "spedizione": "📦🚚✈️",
    "pacco": "📦",
    "consegna": "🚚📦",
    "telefono": "📞📱☎️",
    "chiamata": "📞📱",
    "email": "📧✉️",
    "posta": "📧✉️📬",
    "attesa": "⏳⌛🕐",
    "tempo": "⏰⏳🕐",
    "orologio": "⏰🕐⌚",
    "fatto": "✅✔️👍",
    "errore": "❌⚠️🚫",
    "attenzione": "⚠️❗🚨",
    "idea": "💡",
    "caldo": "🥵☀️🔥",
    "freddo": "🥶❄️",
    "pensare": "🤔💭",
    "dubbio": "🤔❓",
    "domanda": "❓🤔",
    "applauso": "👏",
    "forza": "💪",
    "fuoco": "🔥",
    "stella": "⭐🌟",
    "caffè": "☕",
    "caffe": "☕",
    "imbarazzo": "😅😳🙈",
    "occhiolino": "😉",
    "malato": "🤒🤧😷🤕",
    # English
    "sad": "😢🙁😞😔☹️😟😥😭🥺",
    "cry": "😢😭🥲",
    "tears": "😢😭😂",
    "happy": "😀😃😄😊🙂😁🥰",
    "smile": "🙂😊😀😃😄",
    "laugh": "😂🤣😆😄",
    "lol": "😂🤣",
    "angry": "😠😡🤬😤",
    "mad": "😠😡🤬",
    "worried": "😟😰😥😬",
    "scared": "😨😱😰",
    "surprised": "😮😲😯🤯",
    "tired": "😩😫🥱😴",
    "sleepy": "😴🥱💤",
    "sorry": "🙏😔😅",
    "thanks": "🙏😊💐",
    "thank you": "🙏😊",
    "hello": "👋🙂",
    "hi": "👋🙂",
    "bye": "👋",
    "love": "❤️😍🥰💕😘",
    "kiss": "😘💋😚",
    "yes": "👍✅🙆",
    "good": "👍👌😊✅",
    "great": "👍👌💯🎉",
    "bad": "👎😞",
    "party": "🎉🥳🎊🎂",
    "birthday": "🎂🎉🥳🎁",
    "congratulations": "🎉👏🥳",
    "money": "💰💶💵💳",
    "payment": "💳💶💰",
    "refund": "💶💸↩️",
    "shipping": "📦🚚✈️",
    "parcel": "📦",
    "package": "📦",
    "delivery": "🚚📦",
    "phone": "📞📱☎️",
    "call": "📞📱",
    "mail": "📧✉️📬",
    "wait": "⏳⌛🕐",
    "time": "⏰⏳🕐",
    "done": "✅✔️👍",
    "error": "❌⚠️🚫",
    "warning": "⚠️❗🚨",
    "think": "🤔💭",
    "question": "❓🤔",
    "clap": "👏",
    "strong": "💪",
    "fire": "🔥",
    "star": "⭐🌟",
    "coffee": "☕",
    "embarrassed": "😅😳🙈",
    "wink": "😉",
    "sick": "🤒🤧😷🤕",
}


def split_emoji(run: str) -> list[str]:
    """``"😢☹️"`` -> ``["😢", "☹️"]``: one string per emoji (a variation selector stays on)."""
    chars: list[str] = []
    for char in run:
        if char == "\ufe0f" and chars:
            chars[-1] += char
        else:
            chars.append(char)
    return chars


def keyword_hits(word: str) -> list[str]:
    """The emoji of every keyword that starts with ``word`` (case-folded), best first."""
    word = word.casefold()
    hits: list[str] = []
    if not word:
        return hits
    for key, run in KEYWORDS.items():
        if key.startswith(word):
            hits.extend(c for c in split_emoji(run) if c not in hits)
    return hits
