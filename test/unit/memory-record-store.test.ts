import { MemoryRecordStore } from '../../functions/platform/adapters/memory-record-store.js';
import { recordStoreContract } from '../helpers/record-store-contract.js';

recordStoreContract('in-memory', () => new MemoryRecordStore());
