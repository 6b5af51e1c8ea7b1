import fs from 'node:fs';
import { buildGatewaySchema } from '../src/schema';
import { printGatewaySchema, SCHEMA_FILE } from '../src/schema-file';

describe('schema.graphql', () => {
  it('is what the code builds (run `npm run cli -- schema` after changing a type)', async () => {
    const committed = fs.readFileSync(SCHEMA_FILE, 'utf8');
    expect(printGatewaySchema(await buildGatewaySchema())).toEqual(committed);
  });

  it('publishes no storage keys, erasure flags or retention internals', async () => {
    const sdl = printGatewaySchema(await buildGatewaySchema());
    expect(sdl).not.toMatch(/storageKey|retainUntil|restricted/);
  });
});
