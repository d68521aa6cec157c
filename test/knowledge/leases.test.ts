import { leasesContract } from './contract/leases';
import { sqliteFactory } from './helpers';

leasesContract('SQLite', sqliteFactory);
