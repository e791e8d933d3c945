/** Copies text; falls back to a hidden textarea where the async API is missing (plain http). */
export async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // fall through to the old way
  }
  const ta = document.createElement("textarea");
  ta.value = text;
  ta.setAttribute("readonly", "");
  ta.style.position = "fixed";
  ta.style.top = "-1000px";
  document.body.appendChild(ta);
  ta.select();
  let ok = false;
  try {
    ok = document.execCommand("copy");
  } catch {
    ok = false;
  }
  ta.remove();
  return ok;
}

/** Wires a button to copy `text()` and shows "Copied" on it for a moment. */
export function copyButton(btn: HTMLButtonElement, text: () => string): void {
  const label = btn.textContent ?? "";
  let timer = 0;
  btn.addEventListener("click", async () => {
    const ok = await copyText(text());
    btn.textContent = ok ? "Copied" : "Copy failed";
    btn.classList.toggle("copied", ok);
    window.clearTimeout(timer);
    timer = window.setTimeout(() => {
      btn.textContent = label;
      btn.classList.remove("copied");
    }, 1500);
  });
}
