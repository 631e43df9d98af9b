/**
 * The gRPC status codes Kkachi tells apart in Temporal's answers, by name (the numbers are gRPC's,
 * `status` in `@grpc/grpc-js`), so each set built from them reads as what it means.
 */
export const CANCELLED = 1;
export const DEADLINE_EXCEEDED = 4;
export const RESOURCE_EXHAUSTED = 8;
export const FAILED_PRECONDITION = 9;
export const UNAVAILABLE = 14;
