import { rcName, type Rc } from './codes.ts';

/** Every failed manager request rejects with this; `rc` is the co_rc_t code. */
export class ManagerError extends Error {
  override name = 'ManagerError';
  rc: Rc;
  constructor(rc: Rc, message?: string) {
    super(message ? `${message} (${rcName(rc)})` : rcName(rc));
    this.rc = rc;
  }
}
