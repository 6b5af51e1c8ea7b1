/**
 * The fixed word lists the seed draws from: names, countries with their address and phone shapes,
 * and a small product catalogue. Every email domain is a reserved example domain and every
 * phone number follows its country's shape without belonging to anyone on purpose.
 */
import type { Random } from './random';

export const FIRST_NAMES = [
  'Amelia', 'Oliver', 'Isla', 'Noah', 'Ava', 'Leo', 'Mia', 'Arthur', 'Freya', 'Oscar',
  'Sofia', 'Lucas', 'Emma', 'Finn', 'Lena', 'Jonas', 'Chloé', 'Hugo', 'Saoirse', 'Cian',
  'Maya', 'Ethan', 'Priya', 'Arjun', 'Yuki', 'Kenji', 'Zara', 'Omar', 'Elin', 'Nils',
  'Grace', 'Samuel', 'Ines', 'Mateo', 'Aisha', 'Tomás', 'Hannah', 'Felix', 'Ruby', 'Theo',
] as const;

export const LAST_NAMES = [
  'Hughes', 'Patel', 'Murphy', 'Schmidt', 'Dubois', 'de Vries', 'Johansson', 'Smith', 'Okafor', 'Nguyen',
  'García', 'Rossi', 'Kowalski', 'Brown', 'Wilson', 'Müller', 'Martin', 'Jansen', 'Andersson', 'Kelly',
  "O'Brien", 'Taylor', 'Chen', 'Khan', 'Lefebvre', 'Fischer', 'Bakker', 'Lindqvist', 'Evans', 'Walsh',
] as const;

export interface Country {
  code: string;
  currency: string;
  language: string;
  weight: number;
  cities: readonly (readonly [city: string, state: string | null])[];
  streets: readonly string[];
  /** Whether the house number follows the street name (`Hauptstraße 12`). */
  numberAfterStreet: boolean;
  postalCode(random: Random): string;
  phone(random: Random): string;
}

const LETTERS = 'ABCDEFGHJKLMNPRSTUVWXY';
const letter = (random: Random): string => random.pick(LETTERS.split(''));

/** The store ships from here; orders to any other country carry a customs declaration. */
export const HOME_COUNTRY = 'GB';

export const COUNTRIES: readonly Country[] = [
  {
    code: 'GB', currency: 'GBP', language: 'en-GB', weight: 55, numberAfterStreet: false,
    cities: [['London', null], ['Manchester', null], ['Bristol', null], ['Leeds', null], ['Edinburgh', 'Scotland'], ['Cardiff', 'Wales']],
    streets: ['High Street', 'Station Road', 'Church Lane', 'Victoria Road', 'Mill Lane', 'Park Avenue'],
    postalCode: (r) => `${letter(r)}${letter(r)}${r.int(1, 20)} ${r.int(1, 9)}${letter(r)}${letter(r)}`,
    phone: (r) => `+44 7700 ${r.digits(6)}`,
  },
  {
    code: 'IE', currency: 'EUR', language: 'en-IE', weight: 5, numberAfterStreet: false,
    cities: [['Dublin', 'Leinster'], ['Cork', 'Munster'], ['Galway', 'Connacht']],
    streets: ['Main Street', 'Harbour Road', 'Abbey Street'],
    postalCode: (r) => `${letter(r)}${r.digits(2)} ${letter(r)}${r.digits(2)}${letter(r)}`,
    phone: (r) => `+353 85 ${r.digits(3)} ${r.digits(4)}`,
  },
  {
    code: 'DE', currency: 'EUR', language: 'de-DE', weight: 10, numberAfterStreet: true,
    cities: [['Berlin', 'Berlin'], ['Hamburg', 'Hamburg'], ['München', 'Bayern'], ['Köln', 'Nordrhein-Westfalen']],
    streets: ['Hauptstraße', 'Bahnhofstraße', 'Gartenweg', 'Schillerstraße'],
    postalCode: (r) => r.digits(5).replace(/^0/, '1'),
    phone: (r) => `+49 151 ${r.digits(8)}`,
  },
  {
    code: 'FR', currency: 'EUR', language: 'fr-FR', weight: 8, numberAfterStreet: false,
    cities: [['Paris', 'Île-de-France'], ['Lyon', 'Auvergne-Rhône-Alpes'], ['Toulouse', 'Occitanie'], ['Nantes', 'Pays de la Loire']],
    streets: ['rue de la République', 'avenue Victor Hugo', 'rue des Lilas', 'boulevard Voltaire'],
    postalCode: (r) => `${r.int(10, 95)}${r.digits(3)}`,
    phone: (r) => `+33 6 ${r.digits(2)} ${r.digits(2)} ${r.digits(2)} ${r.digits(2)}`,
  },
  {
    code: 'NL', currency: 'EUR', language: 'nl-NL', weight: 5, numberAfterStreet: true,
    cities: [['Amsterdam', 'Noord-Holland'], ['Rotterdam', 'Zuid-Holland'], ['Utrecht', 'Utrecht']],
    streets: ['Kerkstraat', 'Dorpsstraat', 'Molenweg'],
    postalCode: (r) => `${r.int(1000, 9999)} ${letter(r)}${letter(r)}`,
    phone: (r) => `+31 6 ${r.digits(8)}`,
  },
  {
    code: 'SE', currency: 'SEK', language: 'sv-SE', weight: 2, numberAfterStreet: true,
    cities: [['Stockholm', null], ['Göteborg', null], ['Malmö', null]],
    streets: ['Storgatan', 'Drottninggatan', 'Kungsgatan'],
    postalCode: (r) => `${r.int(100, 985)} ${r.digits(2)}`,
    phone: (r) => `+46 70 ${r.digits(3)} ${r.digits(2)} ${r.digits(2)}`,
  },
  {
    code: 'CH', currency: 'CHF', language: 'de-CH', weight: 2, numberAfterStreet: true,
    cities: [['Zürich', 'ZH'], ['Genève', 'GE'], ['Basel', 'BS']],
    streets: ['Bahnhofstrasse', 'Seestrasse', 'Dorfstrasse'],
    postalCode: (r) => String(r.int(1000, 9658)),
    phone: (r) => `+41 79 ${r.digits(3)} ${r.digits(2)} ${r.digits(2)}`,
  },
  {
    code: 'US', currency: 'USD', language: 'en-US', weight: 8, numberAfterStreet: false,
    cities: [['New York', 'NY'], ['Seattle', 'WA'], ['Austin', 'TX'], ['Chicago', 'IL'], ['Denver', 'CO']],
    streets: ['Maple Avenue', 'Oak Street', 'Washington Street', 'Lake Drive'],
    postalCode: (r) => r.digits(5).replace(/^0/, '1'),
    // 555-0100 to 555-0199 are reserved for fiction.
    phone: (r) => `+1 ${r.int(201, 989)} 555 01${r.digits(2)}`,
  },
  {
    code: 'CA', currency: 'CAD', language: 'en-CA', weight: 3, numberAfterStreet: false,
    cities: [['Toronto', 'ON'], ['Vancouver', 'BC'], ['Montréal', 'QC']],
    streets: ['King Street', 'Queen Street', 'Maple Crescent'],
    postalCode: (r) => `${letter(r)}${r.int(0, 9)}${letter(r)} ${r.int(0, 9)}${letter(r)}${r.int(0, 9)}`,
    phone: (r) => `+1 ${r.pick(['416', '604', '514'])} 555 01${r.digits(2)}`,
  },
  {
    code: 'AU', currency: 'AUD', language: 'en-AU', weight: 2, numberAfterStreet: false,
    cities: [['Sydney', 'NSW'], ['Melbourne', 'VIC'], ['Brisbane', 'QLD']],
    streets: ['George Street', 'Collins Street', 'Beach Road'],
    postalCode: (r) => String(r.int(2000, 4999)),
    // 0491 570 xxx is reserved for fiction.
    phone: (r) => `+61 491 570 ${r.digits(3)}`,
  },
];

export const COUNTRY_BY_CODE: ReadonlyMap<string, Country> = new Map(COUNTRIES.map((c) => [c.code, c]));

/** Price of one GBP 1.00 in each currency, in hundredths, so conversion stays in integers. */
export const CURRENCY_RATE_PERCENT: Readonly<Record<string, number>> = {
  GBP: 100, EUR: 117, USD: 127, CAD: 172, AUD: 193, SEK: 1350, CHF: 112,
};

export interface Product {
  code: string;
  name: string;
  /** Unit price in GBP pence. */
  pricePence: number;
  /** Harmonized System code customs declarations use. */
  hsCode: string;
  options: Readonly<Record<string, readonly string[]>>;
}

const CLOTHING_SIZES = ['XS', 'S', 'M', 'L', 'XL'];
const COLOURS = ['navy', 'black', 'grey', 'white', 'olive', 'rust'];

export const PRODUCTS: readonly Product[] = [
  { code: 'TS', name: 'Merino T-shirt', pricePence: 3500, hsCode: '6109.90', options: { size: CLOTHING_SIZES, colour: COLOURS } },
  { code: 'HD', name: 'Organic Cotton Hoodie', pricePence: 6500, hsCode: '6110.20', options: { size: CLOTHING_SIZES, colour: COLOURS } },
  { code: 'JN', name: 'Selvedge Denim Jeans', pricePence: 9500, hsCode: '6203.42', options: { waist: ['28', '30', '32', '34', '36'], leg: ['30', '32', '34'] } },
  { code: 'SK', name: 'Wool Socks, 3 pairs', pricePence: 1800, hsCode: '6115.94', options: { size: ['S', 'M', 'L'] } },
  { code: 'SN', name: 'Canvas Sneakers', pricePence: 7500, hsCode: '6404.19', options: { size: ['38', '39', '40', '41', '42', '43', '44', '45'], colour: ['white', 'black', 'navy'] } },
  { code: 'BT', name: 'Leather Belt', pricePence: 4500, hsCode: '4203.30', options: { length: ['85', '90', '95', '100'], colour: ['brown', 'black'] } },
  { code: 'BP', name: 'Roll-top Backpack', pricePence: 11000, hsCode: '4202.92', options: { colour: ['black', 'olive', 'sand'] } },
  { code: 'WB', name: 'Insulated Water Bottle', pricePence: 2500, hsCode: '9617.00', options: { capacity: ['500 ml', '750 ml'], colour: ['steel', 'forest', 'coral'] } },
  { code: 'MG', name: 'Stoneware Mug', pricePence: 1600, hsCode: '6912.00', options: { colour: ['chalk', 'slate', 'moss'] } },
  { code: 'SC', name: 'Cashmere Scarf', pricePence: 8500, hsCode: '6117.10', options: { colour: ['camel', 'charcoal', 'burgundy'] } },
  { code: 'CP', name: 'Six-panel Cap', pricePence: 2200, hsCode: '6505.00', options: { colour: COLOURS } },
  { code: 'RJ', name: 'Packable Rain Jacket', pricePence: 14000, hsCode: '6201.40', options: { size: CLOTHING_SIZES, colour: ['yellow', 'navy', 'black'] } },
  { code: 'UM', name: 'Compact Umbrella', pricePence: 2800, hsCode: '6601.91', options: { colour: ['black', 'navy', 'tartan'] } },
  { code: 'NB', name: 'Dotted Notebook A5', pricePence: 1200, hsCode: '4820.10', options: { cover: ['linen', 'kraft'] } },
  { code: 'WL', name: 'Card Wallet', pricePence: 3200, hsCode: '4202.32', options: { colour: ['tan', 'black'] } },
  { code: 'GL', name: 'Knitted Gloves', pricePence: 2400, hsCode: '6116.93', options: { size: ['S', 'M', 'L'], colour: ['grey', 'navy'] } },
];

/** Pages of the storefront, as the behaviour ingest records them (path only, no query string). */
export const PAGES = [
  '/', '/search', '/cart', '/checkout', '/account', '/help/returns', '/help/shipping',
  ...PRODUCTS.map((p) => `/products/${p.name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/-$/, '')}`),
] as const;

export const BROWSER_FAMILIES = ['Chrome', 'Safari', 'Firefox', 'Edge', 'Samsung Internet', 'Other'] as const;

export const CARD_BRANDS = ['visa', 'mastercard', 'amex'] as const;

export const CASE_SUBJECTS: Readonly<Record<string, readonly string[]>> = {
  consultation: ['Question about sizing', 'Is this item back in stock?', 'Care instructions'],
  complaint: ['Parcel arrived damaged', 'Item not as described', 'Late delivery'],
  refund: ['Refund request', 'Refund not received yet'],
  reshipment: ['Item missing from parcel', 'Parcel lost in transit'],
  return: ['Return of an unworn item', 'Wrong size, want to return'],
};

export const CUSTOMER_LINES = [
  'Hello, could you help me with my order {order}?',
  'The parcel for {order} arrived but one item is damaged; photo attached.',
  'I would like to return an item from {order}, it does not fit.',
  'My order {order} has not arrived yet, the tracking has not moved for days.',
  'Thanks, that sorts it out.',
  'Could you confirm when the refund will reach my account?',
] as const;

/** Lines of a case about no particular order (a consultation before buying). */
export const GENERAL_CUSTOMER_LINES = [
  'Hello, how do your T-shirts fit? I am usually between M and L.',
  'Will the rain jacket be back in stock soon?',
  'Thanks, that answers my question.',
] as const;

export const GENERAL_STAFF_LINES = [
  'Thank you for getting in touch. Our T-shirts are cut true to size; if in doubt, size up.',
  'We expect new stock within three weeks; we can email you when it arrives.',
] as const;

export const STAFF_LINES = [
  'Thank you for getting in touch about {order}. We are looking into it.',
  'Sorry about that. We have arranged a replacement, which ships within two working days.',
  'We have issued the refund; it can take up to five working days to appear.',
  'Please send the item back with the prepaid label we have emailed you.',
  'Could you send us a photo of the label on the parcel?',
] as const;

export const CASE_ACTIONS: Readonly<Record<string, readonly string[]>> = {
  consultation: ['answered'],
  complaint: ['investigated', 'compensation_offered'],
  refund: ['refund_approved', 'refund_issued'],
  reshipment: ['carrier_claim_filed', 'reshipment_created'],
  return: ['return_label_sent', 'return_received'],
};
