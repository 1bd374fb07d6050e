export { URLRouter } from './url-router.ts';
export { RoundRobinLoadBalancer } from './round-robin-load-balancer.ts';
export { LoadBalancer, type LoadBalancerAlgorithm, type LoadBalancerOptions } from './load-balancer.ts';
export { Allocation } from './allocation.ts';
export { Quota, type QuotaOptions } from './quota.ts';
export { KeyedQuota, type KeyedQuotaOptions } from './keyed-quota.ts';
export { Cache, type CacheOptions } from './cache.ts';
export { ResourcePool } from './resource-pool.ts';
export { hashKey } from './hash.ts';
