/** The audit events the audit benchmarks write (bench:audit, bench:audit-variants). */
import { randomBytes, randomUUID } from 'node:crypto';
import { AuditOperationType, AuditOutcome } from '../src/audit/audit-event.entity';
import type { AuditEventInput } from '../src/audit/audit-record';

/** The 14 coordinates of every benchmark event. */
export const COORDINATES = [
  'Query.shipments', 'ShipmentConnection.nodes', 'Shipment.id', 'Shipment.trackingNumber', 'Shipment.status', 'Shipment.order',
  'Order.orderNumber', 'Order.shippingAddress', 'ShippingAddress.recipientName', 'ShippingAddress.line1', 'ShippingAddress.city',
  'ShippingAddress.phone', 'Order.items', 'OrderItem.productName',
];

/** A point read's event (benchmark scenario 4): staff, one customer no event named before. */
export const pointReadEvent = (): AuditEventInput => ({
  requestId: randomUUID(),
  principal: { kind: 'staff', id: 'bench-staff', roles: ['customer_service'] },
  purpose: 'customer_service',
  operationType: AuditOperationType.QUERY,
  operationName: 'OrderById',
  operationHash: randomBytes(32).toString('hex'),
  subjectIds: [randomUUID()],
  disclosed: COORDINATES,
  outcome: AuditOutcome.OK,
});
