"""Answers to open questions, labeled by hand: should the moderator probe?

`True` (probe): the answer gives no concrete reason and no example — evasive,
vague, generic, or a reason too thin to act on. `False` (stop): it names a
concrete reason, an example, a number, a named thing in a way a researcher
could act on. Several topics and lengths, English and German.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Labeled:
    topic: str
    answer: str
    should_probe: bool
    language: str = "en"


PRICING = "What brought you to the pricing page?"
CANCEL = "Why did you cancel your subscription?"
USE = "What do you mainly use the product for?"
FRUSTRATION = "What frustrated you most in the last month?"
DISCOVERY = "How did you first hear about us?"
IMPROVE = "If you could change one thing, what would it be?"
ONBOARDING = "How was getting started with the product?"
DE_PRICING = "Was hat Sie auf die Preisseite geführt?"
DE_CANCEL = "Warum haben Sie Ihr Abo gekündigt?"
DE_USE = "Wofür nutzen Sie das Produkt hauptsächlich?"
DE_IMPROVE = "Was würden Sie als Erstes ändern?"

LABELED: tuple[Labeled, ...] = (
    # --- should probe: evasive, vague, generic -----------------------------------
    Labeled(PRICING, "idk", True),
    Labeled(PRICING, "Just looking", True),
    Labeled(PRICING, "just browsing around really", True),
    Labeled(PRICING, "Curious.", True),
    Labeled(PRICING, "I wanted to see the prices.", True),
    Labeled(PRICING, "Pricing", True),
    Labeled(CANCEL, "It was ok but not for me", True),
    Labeled(CANCEL, "Didn't need it anymore.", True),
    Labeled(CANCEL, "too expensive", True),
    Labeled(CANCEL, "Because it's not worth it.", True),
    Labeled(CANCEL, "nothing really, just stopped", True),
    Labeled(CANCEL, "various reasons", True),
    Labeled(USE, "Stuff", True),
    Labeled(USE, "work things", True),
    Labeled(USE, "Everything, basically.", True),
    Labeled(USE, "Analytics I guess", True),
    Labeled(USE, "It depends on the day", True),
    Labeled(FRUSTRATION, "nothing", True),
    Labeled(FRUSTRATION, "Not sure, it's fine.", True),
    Labeled(FRUSTRATION, "The usual things, you know", True),
    Labeled(FRUSTRATION, "It's slow sometimes", True),
    Labeled(FRUSTRATION, "Some bugs here and there.", True),
    Labeled(DISCOVERY, "online", True),
    Labeled(DISCOVERY, "Don't remember", True),
    Labeled(DISCOVERY, "Somewhere on the internet I think", True),
    Labeled(IMPROVE, "Make it better", True),
    Labeled(IMPROVE, "idk, it's good enough", True),
    Labeled(IMPROVE, "More features would be nice", True),
    Labeled(IMPROVE, "The design, kind of", True),
    Labeled(ONBOARDING, "fine", True),
    Labeled(ONBOARDING, "It was alright I guess, nothing special", True),
    Labeled(ONBOARDING, "Pretty good overall.", True),
    Labeled(ONBOARDING, "A bit confusing at first", True),
    Labeled(
        ONBOARDING,
        "Honestly I don't really know what to say, it was ok, I mean it worked and all "
        "that, nothing much to add really.",
        True,
    ),
    Labeled(DE_PRICING, "Keine Ahnung", True, "de"),
    Labeled(DE_PRICING, "nur mal geschaut", True, "de"),
    Labeled(DE_PRICING, "Wollte die Preise sehen.", True, "de"),
    Labeled(DE_CANCEL, "zu teuer", True, "de"),
    Labeled(DE_CANCEL, "Weil es sich nicht lohnt.", True, "de"),
    Labeled(DE_CANCEL, "war ok, aber brauche ich nicht mehr", True, "de"),
    Labeled(DE_USE, "Für die Arbeit halt", True, "de"),
    Labeled(DE_USE, "Alles Mögliche", True, "de"),
    Labeled(DE_IMPROVE, "weiß nicht", True, "de"),
    Labeled(DE_IMPROVE, "Geht so, irgendwie unübersichtlich", True, "de"),
    # Long but empty: many words, nothing a researcher could act on.
    Labeled(
        PRICING,
        "Well, we were looking at a lot of different options and thinking about what "
        "would work best for the team going forward.",
        True,
    ),
    Labeled(
        CANCEL,
        "It just didn't really fit our needs anymore, you know how it is with these "
        "tools, things change over time.",
        True,
    ),
    Labeled(
        IMPROVE,
        "Overall the experience could be improved in general, making everything more "
        "intuitive and user friendly.",
        True,
    ),
    Labeled(
        DE_USE,
        "Eigentlich für verschiedene Sachen, je nachdem was gerade so anliegt im Team.",
        True,
        "de",
    ),
    # --- should stop: a concrete reason, an example, specifics -------------------
    Labeled(
        PRICING,
        "Our trial ended on Friday and I had to check whether the Team plan includes SSO.",
        False,
    ),
    Labeled(
        PRICING,
        "My manager asked me to compare your per-seat price with Amplitude before our "
        "budget meeting.",
        False,
    ),
    Labeled(PRICING, "We hit the 10,000 event limit on the free plan.", False),
    Labeled(
        PRICING,
        "I wanted to know if the annual plan is cheaper than paying monthly, because we "
        "pay everything yearly.",
        False,
    ),
    Labeled(
        CANCEL,
        "We moved to HubSpot because the sales team already lives there and nobody "
        "wanted two tools.",
        False,
    ),
    Labeled(
        CANCEL,
        "The price went from 49 to 89 dollars a month and our usage didn't change.",
        False,
    ),
    Labeled(
        CANCEL,
        "When I tried to export last quarter's data for our auditor the CSV kept timing "
        "out, so we gave up.",
        False,
    ),
    Labeled(CANCEL, "Our startup shut down in March.", False),
    Labeled(
        USE,
        "Every Monday I build the churn dashboard for the leadership meeting.",
        False,
    ),
    Labeled(
        USE,
        "Mostly to track which onboarding emails get opened, for example the day-3 reminder.",
        False,
    ),
    Labeled(USE, "Funnel analysis for our checkout, signup to first purchase.", False),
    Labeled(
        USE,
        "Tracking feature adoption after releases so the product team knows what to keep.",
        False,
    ),
    Labeled(
        FRUSTRATION,
        "The Salesforce sync broke twice and I had to re-import 3,000 contacts by hand.",
        False,
    ),
    Labeled(
        FRUSTRATION,
        "Reports take over a minute to load when I filter by region, which is most of what I do.",
        False,
    ),
    Labeled(
        FRUSTRATION,
        "Support took four days to answer a billing question, compared to hours with "
        "our old vendor.",
        False,
    ),
    Labeled(DISCOVERY, "A colleague at my previous company, Zalando, used it.", False),
    Labeled(
        DISCOVERY,
        "I saw a talk by your CTO at a conference in Berlin last year.",
        False,
    ),
    Labeled(DISCOVERY, "Through a Google search for 'cohort analysis tool'.", False),
    Labeled(
        IMPROVE,
        "Let me schedule a report to Slack instead of having to log in and download it.",
        False,
    ),
    Labeled(
        IMPROVE,
        "Cheaper seats for viewers, since half our team only reads dashboards.",
        False,
    ),
    Labeled(
        ONBOARDING,
        "Setup took two days because the JavaScript snippet conflicted with our consent banner.",
        False,
    ),
    Labeled(
        ONBOARDING,
        "Easy: I connected Postgres, picked three events and had a chart in 15 minutes.",
        False,
    ),
    Labeled(
        ONBOARDING,
        "The first dashboard was easier than in Looker, where I needed an engineer.",
        False,
    ),
    # Short but specific.
    Labeled(USE, "Weekly revenue report for the CFO.", False),
    Labeled(FRUSTRATION, "CSV exports over 50 MB fail.", False),
    Labeled(DISCOVERY, "Hacker News, the Show HN post.", False),
    Labeled(
        DE_PRICING,
        "Unsere Testphase lief aus und ich musste prüfen, ob der Team-Tarif SSO enthält.",
        False,
        "de",
    ),
    Labeled(
        DE_PRICING,
        "Mein Chef wollte wissen, ob wir mit 25 Nutzern unter 500 Euro im Monat bleiben.",
        False,
        "de",
    ),
    Labeled(
        DE_CANCEL,
        "Wir sind zu HubSpot gewechselt, weil der Vertrieb dort schon alles pflegt.",
        False,
        "de",
    ),
    Labeled(
        DE_CANCEL,
        "Der Export für unseren Steuerberater hat im Januar dreimal abgebrochen, "
        "deshalb haben wir gekündigt.",
        False,
        "de",
    ),
    Labeled(
        DE_USE,
        "Jeden Montag baue ich damit das Churn-Dashboard für die Geschäftsführung.",
        False,
        "de",
    ),
    Labeled(
        DE_USE,
        "Zum Beispiel schaue ich, welche Onboarding-Mails am dritten Tag geöffnet werden.",
        False,
        "de",
    ),
    Labeled(
        DE_IMPROVE,
        "Berichte automatisch nach Slack schicken, statt sie jedes Mal herunterzuladen.",
        False,
        "de",
    ),
    Labeled(
        DE_IMPROVE,
        "Günstigere Lizenzen für Leser, da die Hälfte unseres Teams nur Dashboards ansieht.",
        False,
        "de",
    ),
)
