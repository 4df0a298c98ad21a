// uPlot's minified script and stylesheet, embedded as text at build time
// (`?raw`: Vite/Vitest natively, esbuild through the plugin in scripts/build.mjs),
// so a report is one self-contained file and rendering it reads no files.
import uplotCss from "uplot/dist/uPlot.min.css?raw";
import uplotJs from "uplot/dist/uPlot.iife.min.js?raw";

export const UPLOT_JS: string = uplotJs;
export const UPLOT_CSS: string = uplotCss;
