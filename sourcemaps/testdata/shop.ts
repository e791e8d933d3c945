// A small app, minified with its source map into shop.min.js(.map) by
// `web/node_modules/.bin/esbuild sourcemaps/testdata/shop.ts
// --bundle --minify --sourcemap --outfile=sourcemaps/testdata/shop.min.js`.
interface Order {
  items: { price: number }[];
}

function total(order: Order): number {
  return order.items.reduce((sum, item) => sum + item.price, 0);
}

export function placeOrder(order: Order | undefined): number {
  const amount = total(order as Order);
  return amount;
}

(window as unknown as { placeOrder: typeof placeOrder }).placeOrder = placeOrder;
