import fs from 'node:fs';
import { isObjectType, type GraphQLObjectType } from 'graphql';
import { getMetadataArgsStorage } from 'typeorm';
import { CaseAttachmentEntity } from '../src/domains/after-sales/case-attachment.entity';
import { classify, LINK } from '../src/policy/classification';
import { buildGatewaySchema } from '../src/schema';
import { printGatewaySchema, SCHEMA_FILE } from '../src/schema-file';

describe('schema.graphql', () => {
  it('is what the code builds (run `npm run cli -- schema` after changing a type)', async () => {
    const committed = fs.readFileSync(SCHEMA_FILE, 'utf8');
    expect(printGatewaySchema(await buildGatewaySchema())).toEqual(committed);
  });

  it("publishes no attachment's storage key: the entity has one, the GraphQL type does not", async () => {
    const columns = getMetadataArgsStorage()
      .columns.filter((c) => c.target === CaseAttachmentEntity)
      .map((c) => c.propertyName);
    expect(columns).toContain('storageKey');
    const type = (await buildGatewaySchema()).getType('CaseAttachment');
    expect(isObjectType(type) && Object.keys(type.getFields())).toEqual(expect.arrayContaining(['id', 'sha256']));
    expect(isObjectType(type) && Object.keys(type.getFields())).not.toContain('storageKey');
  });

  it('publishes the retention schedule on orders, as audit records, and the preview of the next run as a link to audit records (compliance reads them; nobody else)', async () => {
    const schema = await buildGatewaySchema();
    const published = Object.values(schema.getTypeMap())
      .filter((t): t is GraphQLObjectType => isObjectType(t) && !t.name.startsWith('__'))
      .flatMap((t) => Object.keys(t.getFields()).filter((f) => /^reten|retain/i.test(f)).map((f) => `${t.name}.${f}`));
    expect(published).toEqual(['Query.retentionPreview', 'Order.retainUntil', 'Order.retentionAppliedAt']);
    expect(published.map((c) => classify(c.split('.')[0]!, c.split('.')[1]!))).toEqual([{ class: LINK }, { class: 'audit.record' }, { class: 'audit.record' }]);
    const preview = schema.getType('RetentionPreview') as GraphQLObjectType;
    const classes = new Set(Object.keys(preview.getFields()).map((f) => classify('RetentionPreview', f)?.class));
    expect([...classes].sort()).toEqual(['audit.record', LINK].sort());
  });
});
