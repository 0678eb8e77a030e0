// Parse mermaid diagrams with mermaid's own parser, under node.
//
// Input (stdin): a JSON array of diagram sources. Output (stdout): a JSON array, one entry per
// source: null if it parses, else mermaid's error message. Run it from a directory whose
// node_modules holds mermaid (the repository's `npm ci`):
//
//   node --input-type=module --eval "$(cat mermaid_parse.mjs)" < sources.json
//
// mermaid sanitises labels with DOMPurify, which needs a DOM that node lacks. DOMPurify's own
// answer without a DOM is to return its input unchanged; the two functions mermaid calls are set
// to do exactly that. Sanitising never rejects a diagram, so syntax errors are mermaid's alone.
import DOMPurify from "dompurify";

if (typeof DOMPurify.sanitize !== "function") {
  DOMPurify.sanitize = (dirty) => String(dirty);
  DOMPurify.addHook = () => {};
}
const { default: mermaid } = await import("mermaid");
mermaid.initialize({ startOnLoad: false });

let input = "";
for await (const chunk of process.stdin) input += chunk;
const results = [];
for (const source of JSON.parse(input)) {
  try {
    await mermaid.parse(String(source));
    results.push(null);
  } catch (error) {
    results.push(String(error && error.message ? error.message : error));
  }
}
process.stdout.write(JSON.stringify(results) + "\n");
