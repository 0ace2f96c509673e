/**
 * A storefront address suggested from a product's (Indonesian) name: lowercase ASCII letters
 * and digits joined by single dashes, accents dropped, at most `max` characters without a
 * dash at either end — what the server accepts as a slug.
 */
export function suggestSlug(name: string, max = 80): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/&/g, ' dan ')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, max)
    .replace(/-+$/g, '')
}
