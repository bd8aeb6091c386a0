export const PRINCIPAL_KINDS = ['service', 'user'] as const;
export type PrincipalKind = (typeof PRINCIPAL_KINDS)[number];
