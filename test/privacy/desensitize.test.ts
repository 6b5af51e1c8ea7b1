/**
 * A page is kept as its path only, with segments that look like they name someone replaced by
 * `:id`: page is a dimension analytics groups by, so it must never carry an order number, an
 * email address or a session token into a cell's key.
 */
import { pagePath } from '../../src/privacy/desensitize';

describe('pagePath', () => {
  it.each([
    ['/products/42?email=jane@example.com#reviews', '/products/42'],
    ['https://shop.example/products/trail-boots-2024', '/products/trail-boots-2024'],
    ['/orders/ORD-20251234', '/orders/:id'],
    ['/track/NW123456789GB/status', '/track/:id/status'],
    ['/account/1dc8a7d4-8678-4dbc-9e95-adb470500fce/addresses', '/account/:id/addresses'],
    ['/u/jane.doe@example.com', '/u/:id'],
    ['/u/jane.doe%40example.com', '/u/:id'],
    ['/reset/k3J9sQ2xLm8Pz7Wq1', '/reset/:id'],
    ['/help/shipping', '/help/shipping'],
    ['/cart', '/cart'],
    ['/', '/'],
  ])('%s is kept as %s', (page, kept) => {
    expect(pagePath(page)).toBe(kept);
  });
});
