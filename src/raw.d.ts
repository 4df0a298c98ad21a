// Text imports (`import text from "file?raw"`): see src/report/html/uplot-assets.ts.
declare module "*?raw" {
  const text: string;
  export default text;
}
