/**
 * Coordinates read off a response: aliases, fragments, inline fragments, merged selections,
 * nulls and empty lists; and the field an error path points at.
 */
import { parse, type OperationDefinitionNode } from 'graphql';
import { coordinateAtPath, coordinatesWithValues } from '../../src/audit/response-coordinates';
import { buildGatewaySchema } from '../../src/schema';

async function valued(query: string, data: Record<string, unknown>): Promise<string[]> {
  const document = parse(query);
  const operation = document.definitions.find((d) => d.kind === 'OperationDefinition') as OperationDefinitionNode;
  return [...coordinatesWithValues(await buildGatewaySchema(), document, operation, data)].sort();
}

describe('coordinatesWithValues', () => {
  it('follows aliases and counts a field only where it has a value', async () => {
    const query = `{ shipments(first: 2) { nodes { tn: trackingNumber deliveredAt order { orderNumber items { sku } } } } }`;
    const data = {
      shipments: {
        nodes: [
          { tn: null, deliveredAt: null, order: { orderNumber: 'NTK-1', items: [] } },
          { tn: 'TRK-1', deliveredAt: null, order: null },
        ],
      },
    };
    expect(await valued(query, data)).toEqual(['Order.orderNumber', 'Query.shipments', 'Shipment.order', 'Shipment.trackingNumber', 'ShipmentConnection.nodes']);
  });

  it('reads through named and inline fragments, and merges selections of the same key where they meet', async () => {
    const query = `
      query { b: shipments(first: 1) { nodes { ...S } }
              a: shipments(first: 1) { nodes { ...S order { items { quantity } } } } }
      fragment S on Shipment { order { orderNumber ... on Order { status } } }`;
    const data = {
      a: { nodes: [{ order: { orderNumber: 'NTK-1', status: null, items: [{ quantity: 2 }] } }] },
      b: { nodes: [{ order: { orderNumber: null, status: 'PAID' } }] },
    };
    expect(await valued(query, data)).toEqual([
      'Order.items',
      'Order.orderNumber',
      'Order.status',
      'OrderItem.quantity',
      'Query.shipments',
      'Shipment.order',
      'ShipmentConnection.nodes',
    ]);
  });

  it('reads a value with toJSON as what it stands for, and a list of them only until its items can add no coordinate', async () => {
    const query = `{ shipments(first: 4) { nodes { trackingNumber deliveredAt order { orderNumber } } } }`;
    const read: number[] = [];
    /** A row that stands for `value` (as JSON text a compiled read carries does), noting when it is read. */
    const row = (n: number, value: unknown) => ({ toJSON: () => (read.push(n), value) });
    const complete = { trackingNumber: 'TRK-1', deliveredAt: '2026-01-01T00:00:00.000Z', order: { orderNumber: 'NTK-1' } };
    read.length = 0;
    const rows = [row(0, complete), row(1, complete), row(2, complete), row(3, complete)];
    expect(await valued(query, { shipments: { nodes: rows } })).toEqual(['Order.orderNumber', 'Query.shipments', 'Shipment.deliveredAt', 'Shipment.order', 'Shipment.trackingNumber', 'ShipmentConnection.nodes']);
    expect(new Set(read)).toEqual(new Set([0]));
    // A field null in the first rows is looked for further down, as far as it takes.
    read.length = 0;
    const later = [row(0, { ...complete, deliveredAt: null }), row(1, null), row(2, { ...complete, deliveredAt: '2026-01-02T00:00:00.000Z' }), row(3, complete)];
    expect(await valued(query, { shipments: { nodes: later } })).toEqual(['Order.orderNumber', 'Query.shipments', 'Shipment.deliveredAt', 'Shipment.order', 'Shipment.trackingNumber', 'ShipmentConnection.nodes']);
    expect(new Set(read)).toEqual(new Set([0, 1, 2]));
    // A root value standing for null carries nothing.
    expect(await valued(`{ order(id: "x") { orderNumber } }`, { order: row(9, null) })).toEqual([]);
  });

  it('finds nothing in a null response', async () => {
    expect(await valued(`{ orders(first: 1) { nodes { orderNumber } } }`, null as never)).toEqual([]);
  });
});

describe('coordinateAtPath', () => {
  it('names the field an error path points at, through aliases and list indexes', async () => {
    const document = parse(`{ list: orders(first: 2) { nodes { buyer: customer { phone } } } }`);
    const operation = document.definitions[0] as OperationDefinitionNode;
    const schema = await buildGatewaySchema();
    expect(coordinateAtPath(schema, document, operation, ['list', 'nodes', 1, 'buyer', 'phone'])).toBe('Customer.phone');
    expect(coordinateAtPath(schema, document, operation, ['list'])).toBe('Query.orders');
    expect(coordinateAtPath(schema, document, operation, ['list', 'nodes', 0, 'nowhere'])).toBeUndefined();
  });
});
