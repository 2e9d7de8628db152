"""Word lists and text templates for the demo data.

The demo help desk supports "Lumen", a made-up business analytics SaaS. Templates use
``str.format_map`` slots filled once per ticket: product, feature, integration, browser, error,
month, n, plan, invoice, release, first (the customer's first name) and agent (the agent's).
"""

from __future__ import annotations

from dataclasses import dataclass

PRODUCT = "Lumen"
STAFF_DOMAIN = "helpdesk.example"

FIRST_NAMES = (
    "Aaliyah",
    "Adam",
    "Aiko",
    "Alejandro",
    "Amara",
    "Amelia",
    "Andrei",
    "Anika",
    "Arjun",
    "Astrid",
    "Beatriz",
    "Ben",
    "Camila",
    "Carlos",
    "Chen",
    "Chloe",
    "Daniel",
    "Dara",
    "David",
    "Diego",
    "Elena",
    "Elif",
    "Emeka",
    "Emma",
    "Fatima",
    "Felix",
    "Freya",
    "Gabriel",
    "Grace",
    "Hana",
    "Hannah",
    "Hugo",
    "Ines",
    "Isaac",
    "Ivan",
    "Jamal",
    "Jana",
    "Javier",
    "Jonas",
    "Julia",
    "Kai",
    "Karin",
    "Kenji",
    "Laila",
    "Lars",
    "Leila",
    "Leo",
    "Lina",
    "Lucas",
    "Maya",
    "Mateo",
    "Mei",
    "Mia",
    "Mohammed",
    "Nadia",
    "Noah",
    "Nora",
    "Olga",
    "Omar",
    "Oscar",
    "Paula",
    "Pedro",
    "Priya",
    "Rafael",
    "Rania",
    "Ravi",
    "Rosa",
    "Samir",
    "Sara",
    "Sofia",
    "Stefan",
    "Tariq",
    "Thomas",
    "Uma",
    "Valentina",
    "Victor",
    "Wei",
    "Yara",
    "Yusuf",
    "Zoe",
)

LAST_NAMES = (
    "Abara",
    "Andersen",
    "Baker",
    "Bauer",
    "Becker",
    "Bianchi",
    "Brown",
    "Castillo",
    "Chen",
    "Costa",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Fernandes",
    "Garcia",
    "Gomez",
    "Gupta",
    "Hansen",
    "Hoffmann",
    "Ibrahim",
    "Ito",
    "Jansen",
    "Jensen",
    "Kaur",
    "Khan",
    "Kim",
    "Kowalski",
    "Kruger",
    "Larsen",
    "Lee",
    "Lopez",
    "Martin",
    "Meyer",
    "Moreau",
    "Muller",
    "Murphy",
    "Nakamura",
    "Nguyen",
    "Novak",
    "Okafor",
    "Olsen",
    "Patel",
    "Perez",
    "Petrov",
    "Popescu",
    "Rahman",
    "Rossi",
    "Santos",
    "Sato",
    "Schmidt",
    "Silva",
    "Singh",
    "Smith",
    "Sousa",
    "Suzuki",
    "Tanaka",
    "Taylor",
    "Torres",
    "Tran",
    "Varga",
    "Vogel",
    "Wagner",
    "Walsh",
    "Weber",
    "Wilson",
    "Wong",
    "Yamamoto",
    "Yilmaz",
    "Zhang",
)

ORG_WORDS_A = (
    "Acme",
    "Alpine",
    "Amber",
    "Apex",
    "Arbor",
    "Aster",
    "Atlas",
    "Aurora",
    "Beacon",
    "Birch",
    "Blue",
    "Bright",
    "Cedar",
    "Cobalt",
    "Copper",
    "Coral",
    "Crescent",
    "Delta",
    "Ember",
    "Evergreen",
    "Falcon",
    "Fern",
    "Golden",
    "Granite",
    "Harbor",
    "Horizon",
    "Indigo",
    "Juniper",
    "Keystone",
    "Lakeside",
    "Maple",
    "Meridian",
    "Nimbus",
    "Northwind",
    "Oak",
    "Orbit",
    "Pine",
    "Prairie",
    "Quartz",
    "Redwood",
    "Riverside",
    "Sage",
    "Silver",
    "Summit",
    "Tidal",
    "Union",
    "Vertex",
    "Willow",
    "Zenith",
)

ORG_WORDS_B = (
    "Analytics",
    "Bakery",
    "Bank",
    "Bikes",
    "Brewing",
    "Clinics",
    "Cloud",
    "Construction",
    "Consulting",
    "Design",
    "Dynamics",
    "Energy",
    "Engineering",
    "Foods",
    "Freight",
    "Games",
    "Health",
    "Hotels",
    "Insurance",
    "Labs",
    "Learning",
    "Legal",
    "Logistics",
    "Media",
    "Motors",
    "Networks",
    "Outfitters",
    "Partners",
    "Pharma",
    "Publishing",
    "Realty",
    "Retail",
    "Robotics",
    "Software",
    "Solar",
    "Studios",
    "Systems",
    "Telecom",
    "Textiles",
    "Travel",
    "Ventures",
    "Wines",
)

ORG_SUFFIXES = ("", "", "", " Inc", " GmbH", " Ltd", " AB", " SA", " Co", " Group")

CONSUMER_DOMAINS = ("mailbox.example", "inbox.example", "post.example", "webmail.example")

PLANS = ("free", "pro", "enterprise")
PLAN_WEIGHTS = (0.45, 0.40, 0.15)

TIMEZONES = (
    "Europe/Berlin",
    "Europe/London",
    "Europe/Paris",
    "Europe/Madrid",
    "Europe/Stockholm",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Tokyo",
    "Asia/Singapore",
    "Asia/Kolkata",
    "Australia/Sydney",
    "UTC",
)
STAFF_TIMEZONES = ("Europe/Berlin", "Europe/Lisbon", "America/New_York", "UTC")
LANGUAGES = ("en", "en", "en", "en", "en", "en", "de", "fr", "es", "pt")

FEATURES = (
    "dashboard",
    "reports",
    "CSV export",
    "SSO login",
    "mobile app",
    "search",
    "notifications",
    "user management",
    "audit log",
    "REST API",
    "webhooks",
    "invoices page",
    "scheduled exports",
    "custom fields",
    "file uploads",
    "two-factor authentication",
    "data import",
    "alerts",
    "shared views",
    "PDF reports",
)
INTEGRATIONS = (
    "Salesforce",
    "Slack",
    "Jira",
    "HubSpot",
    "Zapier",
    "Shopify",
    "Microsoft Teams",
    "Google Workspace",
    "Okta",
    "Stripe",
    "QuickBooks",
    "GitHub",
    "Snowflake",
    "BigQuery",
)
BROWSERS = ("Chrome", "Firefox", "Safari", "Edge", "the iOS app", "the Android app")
ERRORS = (
    "500 Internal Server Error",
    "403 Forbidden",
    "429 Too Many Requests",
    "a timeout after 30 s",
    "ERR_CONNECTION_RESET",
    "invalid_grant",
    "502 Bad Gateway",
    "'Something went wrong'",
    "a blank white page",
    "'Session expired'",
)
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


@dataclass(frozen=True)
class CategoryText:
    """The words of one ticket category."""

    subjects: tuple[str, ...]
    descriptions: tuple[str, ...]
    tags: tuple[str, ...]
    questions: tuple[str, ...]
    answers: tuple[str, ...]
    resolutions: tuple[str, ...]
    tried: tuple[str, ...]
    hypotheses: tuple[str, ...]


CATEGORIES: dict[str, CategoryText] = {
    "billing": CategoryText(
        subjects=(
            "Charged twice for the {month} invoice",
            "Invoice {invoice} shows the wrong VAT number",
            "Question about pro-rated charges after upgrading to {plan}",
            "Refund request for unused seats",
            "Credit card declined on renewal",
            "Need a copy of invoice {invoice} with our PO number",
            "Why did our bill go up in {month}?",
            "Downgrade from {plan} at the end of the term",
        ),
        descriptions=(
            "Hi, our card was charged twice for the {month} invoice ({invoice}). Can you refund "
            "the duplicate charge? Our finance team needs this sorted before month end.",
            "The invoice {invoice} lists an old VAT number. Our accountant cannot book it like "
            "this. Please reissue it with the correct details.",
            "We upgraded to the {plan} plan mid-month and the charge is higher than we expected. "
            "Can you explain how the pro-rating works?",
            "We removed {n} seats last month but we are still billed for them. Please refund or "
            "credit the difference.",
            "Our renewal failed because the card was declined. We have updated it now; can you "
            "retry the payment so the account is not suspended?",
        ),
        tags=("invoice", "refund", "payment", "vat", "renewal", "pricing"),
        questions=(
            "Could you send me the last four digits of the card that was charged, so I can match "
            "the transactions?",
            "Can you confirm the billing address and VAT number that should appear on the invoice?",
            "Which seats should be removed? A list of email addresses would help.",
            "Could you forward the bank statement line for the second charge?",
        ),
        answers=(
            "The card ends in {n}. Both charges are on the statement from {month}.",
            "Here are the correct company details. The VAT number is on our letterhead, attached.",
            "I've attached the list of users who left the company.",
            "Attached is a screenshot of the statement with both charges highlighted.",
        ),
        resolutions=(
            "I've refunded the duplicate charge; it should appear on your statement within 5-10 "
            "business days. I've also added a note so it does not happen again.",
            "I've reissued invoice {invoice} with the correct VAT number. You'll find it under "
            "Settings → Billing → Invoices.",
            "I've credited the unused seats to your account; the credit will be applied to your "
            "next invoice automatically.",
            "The payment went through on retry, and your subscription is active until next {month}.",
        ),
        tried=(
            "checked the payment provider log, both captures are real",
            "confirmed the seat count history in the admin console",
            "verified the invoice template has the new VAT field",
        ),
        hypotheses=(
            "double capture after a gateway timeout on renewal",
            "pro-rating calculated on the old seat count",
            "invoice generated before the company profile was updated",
        ),
    ),
    "account": CategoryText(
        subjects=(
            "Can't log in after password reset",
            "Locked out after enabling two-factor authentication",
            "Please transfer account ownership to a colleague",
            "SSO login loops back to the sign-in page",
            "Need to add {n} more users to our workspace",
            "Delete my account and personal data",
            "Suspicious login alert from an unknown location",
            "Change the email address on our admin account",
        ),
        descriptions=(
            "I reset my password but the new one is not accepted. I've tried {browser} and "
            "another browser, same result.",
            "I enabled two-factor authentication and lost my phone. I can't get into the account "
            "at all now. How can I recover access?",
            "Our admin is leaving the company. Please transfer ownership of the workspace to me.",
            "Since this morning SSO sends everyone back to the login page. We use Okta.",
            "I got an email about a login from a country none of us are in. Is our account safe?",
        ),
        tags=("login", "sso", "2fa", "password", "permissions", "gdpr", "security"),
        questions=(
            "To protect your account, could you confirm the workspace name and the date of your "
            "last successful login?",
            "Could you try signing in from a private browser window and tell me what you see?",
            "Can the current owner confirm the transfer by replying to this ticket?",
            "Could you send me the SAML response or a screenshot of the error from Okta?",
        ),
        answers=(
            "The workspace is ours and my last login was on Monday.",
            "Same result in a private window; it goes straight back to the login page.",
            "The current owner has replied from their address, see below.",
            "Attached is the screenshot. The error mentions an audience mismatch.",
        ),
        resolutions=(
            "I've reset your two-factor authentication; you can set it up again at your next "
            "login. Please store the recovery codes somewhere safe.",
            "Ownership is transferred; you now have full admin rights.",
            "The SSO audience URL in your identity provider didn't match ours. After the change "
            "it works again; I tested it with a test user.",
            "We checked the login: it came from your own VPN exit node. No action needed, but "
            "I've turned on login alerts for all admins.",
        ),
        tried=(
            "cleared the user's sessions and sent a fresh reset link",
            "checked the SSO configuration and certificate dates",
            "reviewed the audit log for the account",
        ),
        hypotheses=(
            "the reset token was consumed by an email security scanner",
            "the IdP certificate rotated and ours was not updated",
            "a stale session cookie from the old domain",
        ),
    ),
    "bug": CategoryText(
        subjects=(
            "{feature} shows {error}",
            "{feature} is very slow since the last update",
            "Numbers in {feature} don't match the export",
            "{feature} not working in {browser}",
            "Dates shift by one day in {feature}",
            "Buttons overlap on the {feature} page",
            "{feature} crashes when filtering by date",
            "Emails from {feature} arrive twice",
        ),
        descriptions=(
            "When I open {feature} I get {error}. It worked yesterday. We're on {browser}.",
            "Since the last release {feature} takes more than a minute to load for our team. "
            "We have about {n} users.",
            "The totals in {feature} differ from the CSV export for the same period. Which one is right?",
            "In {browser} the {feature} page doesn't react to clicks. In another browser it works.",
            "Everything in {feature} is shown one day early. Our time zone is set correctly.",
        ),
        tags=("bug", "regression", "performance", "ui", "data", "export", "browser"),
        questions=(
            "Could you send a screenshot and the exact time it happened, so I can find it in our logs?",
            "Does it happen for every user, or only some? And does it happen in a private window?",
            "Could you share the steps to reproduce it, starting from the login?",
            "Which version of {browser} are you on?",
        ),
        answers=(
            "Screenshot attached; it happened at about 10:15 our time.",
            "It happens for all users in our workspace, also in a private window.",
            "Steps: log in, open {feature}, pick last month, click export. Then the error.",
            "We're on the latest version; it updated itself last week.",
        ),
        resolutions=(
            "Our engineers found the cause and deployed a fix in release {release}. Could you "
            "check that {feature} works for you now?",
            "This was a caching issue on our side; I've cleared it for your workspace and it "
            "loads normally again.",
            "The export used UTC while {feature} used your time zone. Both now use your "
            "workspace time zone, so the numbers match.",
            "A workaround until the fix ships: use the classic view from the settings menu. The "
            "fix is scheduled for release {release}.",
        ),
        tried=(
            "reproduced on a test workspace with the customer's settings",
            "cleared the workspace cache, no change",
            "checked the error tracker, matching stack traces since the last deploy",
        ),
        hypotheses=(
            "regression from the last release in the query builder",
            "time zone conversion applied twice",
            "missing index after the data migration",
        ),
    ),
    "how-to": CategoryText(
        subjects=(
            "How do I set up {feature}?",
            "How can I share a report with people outside our company?",
            "Where do I change the workspace time zone?",
            "Can I schedule {feature} to run every Monday?",
            "How to give a colleague read-only access",
            "Best way to import data from a spreadsheet",
            "How do I customise the {feature} columns?",
        ),
        descriptions=(
            "I'm new to {product} and can't find how to set up {feature}. Is there a guide?",
            "We want to send a weekly report to a client who doesn't have an account. Is that possible?",
            "Our team moved to a new office and the times in reports are wrong. Where do I "
            "change the time zone?",
            "How can I give a colleague access to view reports without letting them edit anything?",
        ),
        tags=("how-to", "onboarding", "settings", "permissions", "reports", "docs"),
        questions=(
            "Happy to help! Are you an admin in the workspace? Some of these settings are only "
            "visible to admins.",
            "Do you want the report to update automatically, or a one-off snapshot?",
        ),
        answers=(
            "Yes, I'm an admin.",
            "Automatically, every Monday morning would be perfect.",
        ),
        resolutions=(
            "You'll find it under Settings → {feature}. Our guide 'Getting started with "
            "{feature}' walks through each step.",
            "Use Share → Public link and set an expiry date; the recipient won't need an account.",
            "Go to Settings → Workspace → Time zone. Reports pick up the change immediately.",
            "Give your colleague the Viewer role under Settings → Users; viewers can open and "
            "export reports but not edit them.",
        ),
        tried=("pointed the customer to the help center article",),
        hypotheses=("setting only visible to admins",),
    ),
    "integration": CategoryText(
        subjects=(
            "{integration} sync stopped working",
            "{integration} integration returns {error}",
            "Duplicate records after {integration} sync",
            "Webhook deliveries to our endpoint failing",
            "API rate limit hit with {n} requests per minute",
            "Can't connect {integration}: authorisation error",
            "{integration} fields not mapped correctly",
        ),
        descriptions=(
            "Our {integration} sync hasn't run since yesterday. The integration page says "
            "'last sync failed' with {error}.",
            "After connecting {integration} we see every record twice in {product}.",
            "Our webhook endpoint gets {error} from your side and deliveries are retried for hours.",
            "We're getting 429 responses from the API at around {n} requests per minute. What "
            "are the limits?",
            "When we try to connect {integration} the authorisation window closes with invalid_grant.",
        ),
        tags=("integration", "api", "webhook", "sync", "oauth", "rate-limit"),
        questions=(
            "Could you send the request ID from one of the failing calls? It's in the "
            "X-Request-Id response header.",
            "Which {integration} edition are you on, and did anyone change its permissions recently?",
            "Can you disconnect and reconnect {integration} once and tell me if the error changes?",
        ),
        answers=(
            "Here's a request ID from this morning: req_{n}.",
            "We're on the enterprise edition; IT changed some permissions last week.",
            "Reconnected, now the error is different: 403 Forbidden.",
        ),
        resolutions=(
            "The {integration} token had expired after the permission change. After "
            "reconnecting with an admin account the sync runs again; I've triggered a full "
            "resync.",
            "I've removed the duplicates and fixed the field mapping; new syncs will update "
            "existing records instead of creating new ones.",
            "Your endpoint's TLS certificate had expired, so our deliveries failed. Once it was "
            "renewed the queued deliveries went through.",
            "I've raised your API limit to {n} requests per minute; please add retries with "
            "backoff on 429 as described in our API guide.",
        ),
        tried=(
            "reconnected the integration on a test workspace, works there",
            "checked delivery logs, all attempts time out after 10 s",
            "compared field mappings with the default template",
        ),
        hypotheses=(
            "{integration} API change broke our connector",
            "token scopes reduced on the customer's side",
            "dedupe key missing for records created via import",
        ),
    ),
    "feature-request": CategoryText(
        subjects=(
            "Feature request: dark mode for {feature}",
            "Please add an export to Excel in {feature}",
            "Could {feature} support custom date ranges?",
            "Request: more granular permissions",
            "Native {integration} integration would be great",
            "Allow more than {n} dashboards per workspace",
        ),
        descriptions=(
            "It would help our team a lot if {feature} had dark mode. We use it on big screens all day.",
            "We'd love to export {feature} straight to Excel instead of CSV.",
            "Any plans to integrate natively with {integration}? We currently use Zapier.",
            "We hit the limit of {n} dashboards. Could it be raised for the {plan} plan?",
        ),
        tags=("feature-request", "feedback", "roadmap", "ux"),
        questions=(
            "Thanks for the idea! Could you tell me a bit more about how your team would use "
            "it? It helps our product team prioritise.",
        ),
        answers=("We'd use it every day in our weekly review meetings; about {n} people are affected.",),
        resolutions=(
            "I've passed this to our product team and added your vote to the request. We'll let "
            "you know when it's on the roadmap.",
            "Good news: this is planned for next quarter. I've linked your ticket to the request "
            "so you'll be notified.",
            "This isn't planned right now, but I've recorded your use case for the product team. "
            "A workaround is to use scheduled exports.",
        ),
        tried=("logged the request in the product feedback board",),
        hypotheses=("recurring request from {plan} customers",),
    ),
    "outage": CategoryText(
        subjects=(
            "URGENT: {product} is down for our whole team",
            "Dashboard not loading for anyone: {error}",
            "Production outage: API returns {error}",
            "Data not updating since this morning",
            "All users logged out and can't log back in",
        ),
        descriptions=(
            "Nobody in our company can access {product}. We get {error} on every page. This is "
            "blocking our operations.",
            "Our API calls all fail with {error} since about an hour ago. Our checkout depends on this.",
            "None of the data has refreshed since this morning. Reports show yesterday's numbers.",
        ),
        tags=("outage", "urgent", "incident", "availability", "sla"),
        questions=(
            "We're investigating. Could you confirm your workspace URL and the time the problem started?",
            "Is it still failing for you right now?",
        ),
        answers=(
            "It started around 09:40 our time and it's still failing.",
            "Still down, our whole team is waiting.",
        ),
        resolutions=(
            "The incident is resolved: a failed database failover made {product} unavailable. "
            "Everything is back to normal and no data was lost. A post-mortem will follow.",
            "Service is restored. A faulty configuration push caused {error} for some "
            "workspaces; we rolled it back and added a check to prevent it.",
            "Data processing has caught up and all reports are current again. We're sorry for "
            "the disruption.",
        ),
        tried=(
            "confirmed on the status page, multiple customers affected",
            "checked our monitoring, error rate spiked at the same time",
        ),
        hypotheses=(
            "database failover did not complete in one region",
            "bad configuration push to the edge proxies",
            "queue workers stuck after the last deploy",
        ),
    ),
}

CATEGORY_NAMES = tuple(CATEGORIES)

GREETINGS = ("Hi {first},", "Hello {first},", "Hi {first}, thanks for reaching out.", "Dear {first},")
SIGNOFFS = (
    "Best regards,\n{agent}, {product} Support",
    "Kind regards,\n{agent}",
    "Thanks,\n{agent} from the {product} team",
    "Cheers,\n{agent}",
)
CUSTOMER_SIGNOFFS = ("Thanks,\n{first}", "Best,\n{first}", "Thank you!", "Regards,\n{first}")

ACKS = (
    "Thanks for the details. I'm looking into this now and will get back to you shortly.",
    "Sorry for the trouble! I've started investigating and will update you as soon as I know more.",
    "Thanks for letting us know. I can see what you describe and I'm checking it now.",
)
UPDATES = (
    "Quick update: I'm still working on this and have involved a colleague.",
    "I wanted to let you know we're making progress and expect an answer today.",
    "We've reproduced the issue and are now looking for the cause.",
)
CHASERS = (
    "Any update on this? It's getting urgent for us.",
    "Hi, just checking in on this ticket.",
    "Is there any news? Our team keeps asking.",
)
NOTES = (
    "Customer is on the {plan} plan. Checked the account: no open invoices, no known issues.",
    "Similar to a ticket from last week; the same workaround should apply.",
    "Logs show the error at the time reported. Collecting more data before replying.",
    "Called the customer, no answer. Left a voicemail.",
    "Checked with a colleague: this is expected behaviour, need to explain it clearly.",
    "Knowledge base article on {feature} is outdated; flagging for the docs team.",
)
HANDOFF_L2 = (
    "Handoff to L2. Tried: {tried}. Customer says: {said} Hypothesis: {hypothesis}. "
    "Please take it from here.",
    "Escalating to specialists. What I tried: {tried}. What the customer reported: {said} "
    "My best guess: {hypothesis}.",
)
HANDOFF_L3 = (
    "Escalating to engineering. Reproduced: yes. Tried: {tried}. Customer impact: {said} "
    "Hypothesis: {hypothesis}. Logs and steps attached.",
    "Engineering handoff. Tried: {tried}. Hypothesis: {hypothesis}. Customer is waiting; "
    "full history is on the ticket.",
)
ENGINEERING_NOTES = (
    "Root cause confirmed: {hypothesis}. Fix merged, deploying with release {release}.",
    "Found it: {hypothesis}. Hotfix deployed to production, verified on the customer's workspace.",
    "Not a code issue after all; configuration corrected on our side. Handing back to support.",
)
PENDING_TIMEOUTS = (
    "We haven't heard back from you, so I'm marking this ticket as solved. Just reply if you "
    "still need help and it will reopen.",
    "I'm closing this for now as we didn't get a reply. If the problem comes back, reply to this "
    "email and we'll pick it up again.",
)
ON_HOLD = (
    "We've raised this with {integration}'s support team and are waiting for their answer. "
    "I'll update you as soon as we hear back.",
    "This depends on a fix from our payment provider. I've put the ticket on hold and will "
    "follow up when we have news.",
)
ON_HOLD_BACK = (
    "We heard back from the third party and can continue now.",
    "Good news: the external team has answered, so I'm picking this up again.",
)
REOPENS = (
    "Unfortunately it's happening again since this morning.",
    "The fix worked for a day but now we see the same problem.",
    "Sorry, this isn't solved for us. The issue is still there for some users.",
)
CALL_SUMMARIES = (
    "Call summary: customer called about {subject}. Walked through the settings together; "
    "customer confirmed the details.",
    "Phone call: customer reported {subject}. Collected account details and screenshots by email.",
)
FOLLOW_UPS = (
    "Hi, I'm writing again about my earlier ticket. The same problem is back.",
    "Following up on the ticket you closed: we still have a question about this.",
)
AUTO_ACK = (
    "Thanks for contacting {product} Support. We've received your request and a member of our "
    "team will reply as soon as possible. You can follow your request in the portal."
)

# Satisfaction survey comments by score: 4-5 positive, 3 neutral, 1-2 negative. Slots as above.
CSAT_COMMENTS: dict[str, tuple[str, ...]] = {
    "positive": (
        "Quick and friendly, thank you {agent}!",
        "Solved on the first try. Great support.",
        "{agent} explained everything clearly.",
        "Thanks for the fast help.",
        "Very patient and helpful.",
        "Exactly the answer I needed.",
    ),
    "neutral": (
        "It got solved in the end, but it took a while.",
        "OK, though I had to explain the problem twice.",
        "Fine, but the documentation should cover this.",
    ),
    "negative": (
        "Took far too long to get an answer.",
        "The problem came back after it was marked solved.",
        "I was passed around between teams.",
        "The reply didn't address my actual question.",
    ),
}

# Relationship survey comments by answer: 9-10 promoter, 7-8 passive, 0-6 detractor. Slot: product.
NPS_COMMENTS: dict[str, tuple[str, ...]] = {
    "promoter": (
        "{product} is central to how we report; support is quick when we need it.",
        "Reliable product and a support team that knows it well.",
        "We've recommended {product} to two partner companies already.",
    ),
    "passive": (
        "Good product, but some features feel unfinished.",
        "Works well overall; pricing is getting steep for us.",
        "Fine for our needs. Integrations could be better.",
    ),
    "detractor": (
        "Too many outages this quarter.",
        "Support takes days to answer anything complex.",
        "We keep hitting the same bugs after every release.",
    ),
}
