const HTML_TYPES = new Set(['text/html', 'application/xhtml+xml']);

/**
 * Whether an Accept header asks for a web page first: a browser navigating, which can be
 * sent to a login page, rather than an API client, which needs the 401 and its challenge.
 * The highest q wins, the first listed among equals; `*\/*` (fetch, curl) is not HTML.
 */
export function prefersHtml(accept: string | undefined): boolean {
  if (accept === undefined || !accept.includes('html')) return false;
  let best = 0;
  let bestIsHtml = false;
  for (const range of accept.split(',', 64)) {
    const [type = '', ...params] = range.split(';');
    const mediaType = type.trim().toLowerCase();
    const q = params.map((param) => /^\s*q\s*=\s*([01](\.\d{0,3})?)\s*$/i.exec(param)?.[1]).find((value) => value !== undefined);
    const weight = q === undefined ? 1 : Number(q);
    if (weight > best) {
      best = weight;
      bestIsHtml = HTML_TYPES.has(mediaType);
    }
  }
  return bestIsHtml;
}
