/**
 * What a notification asks for is read off the audience's contract: the record type's own
 * fields, its scans for a shipment, never a link, and nothing the contract lacks.
 */
import { buildSchema } from 'graphql';
import { notificationDocument } from '../../src/domains/webhooks/notification-documents';
import { WebhookEventType } from '../../src/domains/webhooks/webhook-delivery.entity';

const contract = (shipmentFields: string) =>
  buildSchema(`
    enum ShipmentStatus { IN_TRANSIT DELIVERED }
    type Partner { id: ID! name: String }
    type ShipmentEvent { id: ID! location: String! status: ShipmentStatus }
    type Shipment { ${shipmentFields} }
    type Query { shipment(id: ID!): Shipment }
  `);

describe('notification documents', () => {
  it("select the shipment's own fields and scans from the contract, and no link", () => {
    const doc = notificationDocument(contract('id: ID! status: ShipmentStatus! trackingNumber: String carrier: Partner events: [ShipmentEvent!]'), WebhookEventType.SHIPMENT_CHANGED);
    expect(doc).toEqual({ root: 'shipment', text: 'query ShipmentNotification($id: ID!) { shipment(id: $id) { id status trackingNumber events { id location status } } }' });
  });

  it('leave out what the contract does not have', () => {
    const doc = notificationDocument(contract('id: ID! status: ShipmentStatus!'), WebhookEventType.SHIPMENT_ASSIGNED);
    expect(doc?.text).toBe('query ShipmentNotification($id: ID!) { shipment(id: $id) { id status } }');
  });

  it('are none when the contract cannot read the record at all', () => {
    expect(notificationDocument(contract('id: ID!'), WebhookEventType.PAYMENT_VERIFICATION_CHANGED)).toBeUndefined();
  });
});
