package doctor

// Exchange check ids: the token service the gateway exchanges the caller's token at (RFC 8693). docs/checks.md
// says what each means.
const (
	IDExchangeDiscovery  = "exchange.discovery"
	IDExchangeClientAuth = "exchange.client-auth"
	IDExchangeToken      = "exchange.token"
)

// exchangeState is what the exchange checks share.
type exchangeState struct{}

func (st *state) initExchange() {}

func (d *Doctor) exchangeChecks() []Check { return nil }
