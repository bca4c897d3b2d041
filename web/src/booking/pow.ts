// The booking's proof-of-work (ALTCHA, DESIGN.md §5), solved in the background by the
// altcha widget's own worker while the patient types. The widget stays invisible.
import 'altcha/external';
import Pbkdf2Worker from 'altcha/workers/pbkdf2?worker';

$altcha.algorithms.set('PBKDF2/SHA-256', () => new Pbkdf2Worker());

export class ProofOfWork {
  private widget: HTMLElementTagNameMap['altcha-widget'] | undefined;
  private pending: Promise<string> | undefined;

  constructor(private readonly challengeUrl: string) {}

  // Starts solving (once); the promise gives the payload for the booking's "altcha".
  start(): Promise<string> {
    if (!this.pending) {
      this.pending = this.solve().catch((error: unknown) => {
        this.pending = undefined; // the next call tries again with a fresh challenge
        throw error;
      });
    }
    return this.pending;
  }

  // A challenge is spent once used (or rejected): the next booking needs a new one.
  reset(): void {
    this.pending = undefined;
  }

  private async solve(): Promise<string> {
    if (!this.widget) {
      this.widget = document.createElement('altcha-widget');
      this.widget.setAttribute('display', 'invisible');
      this.widget.setAttribute('auto', 'off');
      this.widget.setAttribute('name', 'altcha');
      this.widget.hidden = true; // nothing to see or focus: it only computes
      document.body.append(this.widget);
    }
    await this.widget.configure({ challenge: this.challengeUrl, hideLogo: true, hideFooter: true });
    this.widget.reset();
    const result = await this.widget.verify();
    if (!result?.payload) throw new Error('proof-of-work not solved');
    return result.payload;
  }
}
