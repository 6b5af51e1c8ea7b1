/**
 * Well-known ids the seed always writes, whatever its options or PRNG seed: README examples,
 * development token minting and tests name these rows directly. Every other id the seed writes
 * comes from the PRNG and changes with the seed.
 */
export const DEMO_IDS = {
  /** Two active carriers; A always carries the larger share of shipments. */
  logisticsPartners: ['76ae3e6b-d4ce-49dd-bd76-bbeff760d7fd', '5e48516c-f583-41e9-9e2c-4b1e5483de44'],
  /** A carrier whose partnership is suspended; it still has a few historic shipments. */
  suspendedLogisticsPartner: 'bda8ebf8-915e-42e5-aa61-4eff4ee2fdef',
  /** Two active payment providers; A always handles the larger share of payments. */
  paymentProviders: ['71e7ca1b-12b3-4beb-ab49-fa06408e391e', '96dd4b8b-78e9-427a-8b52-9c06dfccd09e'],
  /** The one sales platform; every order with channel `platform` was sold through it. */
  platformOperator: '5fa13016-d4c1-4fb1-b4d9-0be0e8c5a13b',
  /** A third party the demo customer authorized (see the three consent grants below). */
  thirdParty: '93d6f0d1-cdb6-4e3f-b064-f27b5513f0b7',
  /**
   * The demo customer's active grant to the third party: categories identity.account_name,
   * order.reference and order.status, purpose authorized_sharing, expiring 2099-12-31.
   */
  consentGrant: 'd31f85ff-122f-4a61-b957-1d562faedd10',
  /** The same customer and third party, withdrawn in 2024. */
  withdrawnConsentGrant: '598312b5-0eb0-4748-acbe-db5ca8a3dd92',
  /** The same customer and third party, expired on 2024-01-01. */
  expiredConsentGrant: 'c8b9ceed-2c82-46e3-bb58-1c98121d838f',
  /** The first customer: at least 20 orders in every status, a split shipment, after-sales cases with messages. */
  demoCustomer: '1dc8a7d4-8678-4dbc-9e95-adb470500fce',
  /** The privacy policy version in force since 2024-07-01; orders placed since then reference it. */
  policyVersion: 'f4bc937c-0783-499f-9630-854e49762256',
  /** The version in force before 2024-07-01; older orders reference it. */
  previousPolicyVersion: '37526f10-994e-4795-9fd4-cdf6bf01490a',
  /**
   * An open legal hold (scope customer) on the second customer (the demo customer when the seed
   * has only one), whose erasure request was rejected because of it.
   */
  legalHold: '98b8f77f-6992-4ca2-a792-4a8bb3e1251f',
} as const;

export type DemoIds = typeof DEMO_IDS;
