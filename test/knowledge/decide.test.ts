import { decideContract } from './contract/decide';
import { sqliteFactory } from './helpers';

decideContract('SQLite', sqliteFactory);
