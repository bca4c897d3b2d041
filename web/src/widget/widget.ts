// /widget.js: the booking widget for a practice's own web site.
//
//   <script src="https://termine.example.de/widget.js" async></script>
//   <praxis-booking practice="demo"></praxis-booking>
//
// The element shows the booking page in a frame from the praxis server, so what the
// patient types never passes through the host page (the frame's origin is the server's;
// the practice allows its site under booking rules, "embed_origins"). The frame tells
// only its height. Self-contained: no imports, so it stays one small file.

const scriptOrigin = (() => {
  const current = document.currentScript as HTMLScriptElement | null;
  return current?.src ? new URL(current.src).origin : location.origin;
})();

class PraxisBooking extends HTMLElement {
  static observedAttributes = ['practice', 'lang'];
  private frame: HTMLIFrameElement | undefined;
  private readonly onMessage = (event: MessageEvent) => {
    if (event.origin !== scriptOrigin || event.source !== this.frame?.contentWindow) return;
    const data = event.data as { praxis?: string; height?: number };
    if (data?.praxis === 'height' && typeof data.height === 'number' && this.frame) {
      this.frame.style.height = `${Math.min(Math.max(data.height, 200), 10000)}px`;
    }
  };

  connectedCallback(): void {
    window.addEventListener('message', this.onMessage);
    this.render();
  }

  disconnectedCallback(): void {
    window.removeEventListener('message', this.onMessage);
  }

  attributeChangedCallback(): void {
    if (this.isConnected) this.render();
  }

  private render(): void {
    const slug = this.getAttribute('practice') ?? '';
    const url = new URL(`/book/${encodeURIComponent(slug)}`, scriptOrigin);
    url.searchParams.set('embed', '1');
    const language = this.getAttribute('lang');
    if (language === 'de' || language === 'en') url.searchParams.set('lang', language);
    if (!this.frame) {
      const root = this.attachShadow({ mode: 'open' });
      this.frame = document.createElement('iframe');
      this.frame.title = this.getAttribute('title') ?? 'Online-Terminbuchung';
      this.frame.setAttribute('loading', 'lazy');
      this.frame.style.cssText = 'width:100%;height:640px;border:0;display:block;';
      root.append(this.frame);
    }
    if (this.frame.src !== url.href) this.frame.src = url.href;
  }
}

if (!customElements.get('praxis-booking')) customElements.define('praxis-booking', PraxisBooking);
