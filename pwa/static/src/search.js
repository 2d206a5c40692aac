// Offline search in the catalog the last pull brought: parts and fault/cause/handling codes.

export function normalize(text) {
  return String(text ?? '').normalize('NFKC').toLowerCase().trim();
}

function matches(haystack, query) {
  const tokens = normalize(query).split(/\s+/).filter(Boolean);
  const text = normalize(haystack.filter(Boolean).join(' '));
  return tokens.every((token) => text.includes(token));
}

// Parts matching every word of the query (SKU, Chinese or English name); the appliance's
// own category first, then by SKU.
export function searchParts(parts, query, { category } = {}) {
  const mine = (part) => (part.category === category ? 0 : 1);
  return (parts ?? [])
    .filter((part) => matches([part.sku, part.name, part.name_en], query))
    .sort((a, b) => mine(a) - mine(b) || a.sku.localeCompare(b.sku));
}

// Codes of one kind ('fault', 'cause', 'handling') for the category (or for any).
export function searchCodes(codes, kind, query, { category } = {}) {
  return (codes ?? [])
    .filter((c) => c.kind === kind && (!c.category || !category || c.category === category))
    .filter((c) => matches([c.code, c.description, c.description_en], query))
    .sort((a, b) => a.code.localeCompare(b.code));
}
