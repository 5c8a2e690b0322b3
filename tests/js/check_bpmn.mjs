// Parse a BPMN file with bpmn-moddle (the model layer of bpmn-js) and print the import
// warnings as a JSON array. Exit code 0 when parsing succeeded (warnings may be present),
// 2 when the file could not be parsed at all.
//
// usage: node tests/js/check_bpmn.mjs FILE.bpmn
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', '..', 'package.json'));
const { default: BpmnModdle } = await import(require.resolve('bpmn-moddle'));

const file = process.argv[2];
if (!file) {
  console.error('usage: node tests/js/check_bpmn.mjs FILE.bpmn');
  process.exit(64);
}

const xml = await readFile(file, 'utf8');
const moddle = new BpmnModdle();
try {
  const { warnings } = await moddle.fromXML(xml, 'bpmn:Definitions');
  const out = warnings.map((w) => ({
    message: w.message,
    element: w.element && w.element.id ? w.element.id : undefined,
    property: w.property,
  }));
  console.log(JSON.stringify(out, null, 2));
} catch (err) {
  console.log(JSON.stringify([{ message: `parse error: ${err.message}` }]));
  process.exit(2);
}
