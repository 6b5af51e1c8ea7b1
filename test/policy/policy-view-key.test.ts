/**
 * A caller's policy view is found by its matrix rows and purpose. A staff member's roles list
 * from a verified token is frozen and comes again with every request, so what the view key
 * takes from it is kept per list: these check that a kept list never answers for other roles,
 * and that a list that can still change is read as it is each time.
 */
import type { GraphQLSchema } from 'graphql';
import { allowedPurposes } from '../../src/auth/purpose';
import { PolicyEngine } from '../../src/policy/policy-view';
import type { Caller } from '../../src/policy/principal';
import type { Purpose, StaffRole } from '../../src/policy/vocabulary';
import { buildGatewaySchema } from '../../src/schema';

const staff = (roles: readonly StaffRole[], purpose: Purpose): Caller => ({ principal: { kind: 'staff', subject: 's', roles }, purpose });

describe('policy views and purposes of staff roles lists', () => {
  let schema: GraphQLSchema;
  beforeAll(async () => {
    schema = await buildGatewaySchema();
  });

  it('one frozen roles list gives each purpose its own view, the same as an equal list in another order', () => {
    const engine = new PolicyEngine(schema);
    const roles = Object.freeze<StaffRole[]>(['customer_service', 'fraud_analyst']);
    const afterSales = engine.viewFor(staff(roles, 'after_sales'));
    const fraud = engine.viewFor(staff(roles, 'fraud_prevention'));
    expect(fraud).not.toBe(afterSales);
    expect(engine.viewFor(staff(roles, 'after_sales'))).toBe(afterSales);
    expect(engine.viewFor(staff(Object.freeze<StaffRole[]>(['fraud_analyst', 'customer_service']), 'fraud_prevention'))).toBe(fraud);
    expect(engine.viewFor(staff(['customer_service', 'fraud_analyst'], 'after_sales'))).toBe(afterSales);
    expect(engine.viewFor(staff(Object.freeze<StaffRole[]>(['customer_service']), 'after_sales'))).not.toBe(afterSales);
  });

  it('a roles list that can change is read as it is on each request', () => {
    const engine = new PolicyEngine(schema);
    const roles: StaffRole[] = ['customer_service'];
    const before = engine.viewFor(staff(roles, 'fraud_prevention'));
    expect(allowedPurposes(staff(roles, 'after_sales').principal)).toEqual(['fulfillment', 'after_sales', 'data_subject_request']);
    roles.push('fraud_analyst');
    const after = engine.viewFor(staff(roles, 'fraud_prevention'));
    expect(after).not.toBe(before);
    expect(after).toBe(engine.viewFor(staff(Object.freeze<StaffRole[]>(['customer_service', 'fraud_analyst']), 'fraud_prevention')));
    expect(allowedPurposes(staff(roles, 'after_sales').principal)).toEqual(['fulfillment', 'after_sales', 'fraud_prevention', 'data_subject_request']);
  });

  it('purposes kept for a frozen roles list answer for that list only', () => {
    const analyst = Object.freeze<StaffRole[]>(['fraud_analyst']);
    const agent = Object.freeze<StaffRole[]>(['customer_service']);
    expect(allowedPurposes(staff(analyst, 'fraud_prevention').principal)).toEqual(['fraud_prevention']);
    expect(allowedPurposes(staff(agent, 'after_sales').principal)).toEqual(['fulfillment', 'after_sales', 'data_subject_request']);
    expect(allowedPurposes(staff(analyst, 'fraud_prevention').principal)).toEqual(['fraud_prevention']);
  });
});
