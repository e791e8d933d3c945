// Inline SVG icons built with the DOM (no markup strings).

const NS = "http://www.w3.org/2000/svg";

const PATHS: Record<string, string> = {
  play: "M6 4.5v15a1 1 0 0 0 1.5.86l12.5-7.5a1 1 0 0 0 0-1.72L7.5 3.64A1 1 0 0 0 6 4.5z",
  pause: "M6 4h4v16H6zM14 4h4v16h-4z",
  back5: "M12 5V2L7 6l5 4V7a6 6 0 1 1-6 6H4a8 8 0 1 0 8-8z",
  fwd5: "M12 5V2l5 4-5 4V7a6 6 0 1 0 6 6h2a8 8 0 1 1-8-8z",
  prevErr: "M6 5h2v14H6zM20 5.5v13a1 1 0 0 1-1.6.8L10 13a1.2 1.2 0 0 1 0-2l8.4-6.3a1 1 0 0 1 1.6.8z",
  nextErr: "M16 5h2v14h-2zM4 5.5v13a1 1 0 0 0 1.6.8L14 13a1.2 1.2 0 0 0 0-2L5.6 4.7A1 1 0 0 0 4 5.5z",
  inspect: "M3 3h7v2H5v5H3zm18 0v7h-2V5h-5V3zM3 21v-7h2v5h5v2zm8.3-9.7 9.4 3.6-4 1.7 3.6 3.6-1.4 1.4-3.6-3.6-1.7 4z",
  link: "M10.6 13.4a1 1 0 0 0 1.4 0l4-4a3 3 0 0 0-4.2-4.2l-1.5 1.5 1.4 1.4 1.5-1.5a1 1 0 0 1 1.4 1.4l-4 4a1 1 0 0 0 0 1.4zm2.8-2.8a1 1 0 0 0-1.4 0l-4 4a3 3 0 0 0 4.2 4.2l1.5-1.5-1.4-1.4-1.5 1.5a1 1 0 0 1-1.4-1.4l4-4a1 1 0 0 0 0-1.4z",
};

export function icon(name: keyof typeof PATHS | string, size = 16): SVGSVGElement {
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", String(size));
  svg.setAttribute("height", String(size));
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("fill", "currentColor");
  const path = document.createElementNS(NS, "path");
  path.setAttribute("d", PATHS[name] ?? "");
  svg.appendChild(path);
  return svg;
}
