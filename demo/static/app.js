// Playhead Coffee: the demo shop's whole client. Plain JavaScript, no build
// step. The page is one shell; this script routes between the shop and the
// checkout with the History API, so Playhead records SPA navigations.
"use strict";

(function () {
  const ROUTES = { "/demo/": "shop", "/demo/checkout": "checkout" };
  const TITLES = { shop: "Shop", checkout: "Checkout" };
  const CART_KEY = "playhead-demo-cart";
  // The fixed shop (playhead serve -demo=fixed) has both bugs fixed.
  const FIXED = document.body.hasAttribute("data-fixed");

  const $ = (id) => document.getElementById(id);
  const currency = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });
  const money = (cents) => currency.format(cents / 100);

  let catalog = []; // products from GET /demo/api/products
  let cart = loadCart(); // product id -> quantity

  // ---- Cart -------------------------------------------------------------

  // The cart survives a reload (sessionStorage) but not the tab.
  function loadCart() {
    try {
      const saved = JSON.parse(sessionStorage.getItem(CART_KEY) || "{}");
      const out = {};
      for (const [id, qty] of Object.entries(saved)) {
        if (Number.isInteger(qty) && qty > 0) out[id] = qty;
      }
      return out;
    } catch (err) {
      return {};
    }
  }

  function saveCart() {
    try {
      sessionStorage.setItem(CART_KEY, JSON.stringify(cart));
    } catch (err) {
      // Storage may be disabled; the cart then lasts until the next reload.
    }
  }

  function cartLines() {
    return catalog
      .filter((p) => cart[p.id])
      .map((p) => ({ product: p, quantity: cart[p.id], total: p.price * cart[p.id] }));
  }

  function cartCount() {
    return Object.values(cart).reduce((n, qty) => n + qty, 0);
  }

  function cartTotal() {
    return cartLines().reduce((sum, line) => sum + line.total, 0);
  }

  function addToCart(id) {
    const product = catalog.find((p) => p.id === id);
    if (!product) return;
    cart[id] = (cart[id] || 0) + 1;
    saveCart();
    renderCart();
    const n = cartCount();
    console.log(`Added ${product.name} to the cart (${n} ${n === 1 ? "item" : "items"}, ${money(cartTotal())})`);
  }

  function renderCart() {
    const n = cartCount();
    $("cart-count").textContent = String(n);
    $("cart-summary").textContent =
      n === 0 ? "Your cart is empty." : `${n} ${n === 1 ? "item" : "items"} in your cart · ${money(cartTotal())}`;

    const list = $("order-lines");
    list.replaceChildren();
    const lines = cartLines();
    if (lines.length === 0) {
      const empty = document.createElement("li");
      empty.className = "muted";
      empty.textContent = "Nothing yet. You can still try to place the order.";
      list.append(empty);
    }
    for (const line of lines) {
      const li = document.createElement("li");
      const name = document.createElement("span");
      name.textContent = `${line.quantity} × ${line.product.name}`;
      const price = document.createElement("span");
      price.textContent = money(line.total);
      li.append(name, price);
      list.append(li);
    }
    $("order-total").textContent = money(cartTotal());
  }

  // ---- Products ---------------------------------------------------------

  async function loadProducts() {
    const status = $("products-status");
    try {
      const res = await fetch("/demo/api/products", { headers: { Accept: "application/json" } });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      catalog = (await res.json()).products;
      status.hidden = true;
      console.info(`Loaded ${catalog.length} products`);
    } catch (err) {
      status.textContent = `Could not load the products: ${err.message}`;
      console.error("Loading the products failed:", err.message);
    }
    renderProducts();
    renderCart();
  }

  function renderProducts() {
    const list = $("products");
    list.replaceChildren();
    for (const p of catalog) {
      const li = document.createElement("li");
      li.className = "product card";

      const swatch = document.createElement("div");
      swatch.className = `swatch roast-${p.roast}`;
      swatch.setAttribute("aria-hidden", "true");

      const name = document.createElement("h2");
      name.textContent = p.name;

      const desc = document.createElement("p");
      desc.className = "muted";
      desc.textContent = p.description;

      const foot = document.createElement("div");
      foot.className = "product-foot";
      const price = document.createElement("span");
      price.className = "price";
      price.textContent = money(p.price);
      const add = document.createElement("button");
      add.type = "button";
      add.className = "button add-to-cart";
      add.dataset.id = p.id;
      add.textContent = "Add to cart";
      add.setAttribute("aria-label", `Add ${p.name} to cart`);
      foot.append(price, add);

      li.append(swatch, name, desc, foot);
      list.append(li);
    }
  }

  $("products").addEventListener("click", (event) => {
    const button = event.target.closest("button.add-to-cart");
    if (!button) return;
    addToCart(button.dataset.id);
    button.textContent = "Added ✓";
    clearTimeout(button.resetTimer);
    button.resetTimer = setTimeout(() => {
      button.textContent = "Add to cart";
    }, 1200);
  });

  // ---- Routing ----------------------------------------------------------

  function currentRoute() {
    return ROUTES[location.pathname] || "shop";
  }

  // render shows the current route's page. After an SPA navigation it moves
  // focus to the new page's heading, as a full page load would.
  function render(moveFocus) {
    const route = currentRoute();
    $("page-shop").hidden = route !== "shop";
    $("page-checkout").hidden = route !== "checkout";
    document.body.dataset.page = route;
    document.title = `${TITLES[route]} · Playhead Coffee`;
    for (const [id, r] of [["nav-shop", "shop"], ["nav-checkout", "checkout"]]) {
      if (r === route) $(id).setAttribute("aria-current", "page");
      else $(id).removeAttribute("aria-current");
    }
    if (moveFocus) {
      window.scrollTo(0, 0);
      $(route === "shop" ? "shop-title" : "checkout-title").focus();
    }
  }

  // Links marked data-route navigate without a page load. Modified clicks
  // (new tab, new window, download) keep the browser's behaviour.
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-route]");
    if (!link || event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    if (link.pathname !== location.pathname) {
      history.pushState(null, "", link.href);
    }
    render(true);
  });

  window.addEventListener("popstate", () => render(true));

  // ---- Checkout ---------------------------------------------------------

  $("checkout-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = $("place-order");
    const errorBox = $("checkout-error");
    errorBox.hidden = true;
    button.disabled = true;
    button.textContent = "Placing order…";

    // The card number and the password stay in the browser: a real shop
    // would hand the card to its payment provider, not to its own server.
    const order = {
      items: cartLines().map((line) => ({ id: line.product.id, quantity: line.quantity })),
      customer: { name: $("name").value, email: $("email").value },
    };
    try {
      const res = await fetch("/demo/api/checkout", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(order),
      });
      let body = {};
      try {
        body = await res.json();
      } catch (err) {
        // Not JSON; the status says enough.
      }
      if (!res.ok) throw new Error(body.error || `HTTP ${res.status}`);
      errorBox.textContent = FIXED
        ? `Order ${body.order} placed. Thank you!`
        : "Order placed. (This should not happen: the demo's payment provider is always down.)";
      errorBox.hidden = false;
    } catch (err) {
      errorBox.textContent = `We could not place your order: ${err.message}. Nothing was charged.`;
      errorBox.hidden = false;
      console.error("Checkout failed:", err.message);
    } finally {
      button.disabled = false;
      button.textContent = "Place order";
    }
  });

  // ---- Break something --------------------------------------------------

  // Deliberately broken: the gift card is not in the catalogue, find()
  // returns undefined, and reading its price throws an uncaught TypeError
  // ("Cannot read properties of undefined (reading 'price')" in Chromium)
  // for Playhead to record. The fixed shop checks first.
  $("throw-error").addEventListener("click", () => {
    const giftCard = catalog.find((p) => p.id === "gift-card");
    if (FIXED && !giftCard) {
      console.info("There is no gift card to apply.");
      return;
    }
    const discount = giftCard.price;
    console.log(`Gift card applied: −${money(discount)}`);
  });

  render(false);
  renderCart();
  loadProducts();
})();
