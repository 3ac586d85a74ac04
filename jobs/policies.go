package jobs

import (
	"context"
	"fmt"
	"time"

	"channelbot/models"
)

// PolicyBroadcasts is the PolicySource of the price-policy broadcasts in Store: the
// policies a customer's dealers have not confirmed after every reminder, for the
// owner rep to raise at the next visit.
type PolicyBroadcasts struct {
	Store *models.Store
}

var _ PolicySource = PolicyBroadcasts{}

// Unacknowledged returns, for the given customers, a line for each policy their
// dealers have not confirmed after every reminder (models.PolicyMaxReminders).
func (b PolicyBroadcasts) Unacknowledged(ctx context.Context, customerIDs []int64, _ time.Time) (map[int64][]string, error) {
	open, err := b.Store.UnconfirmedPolicies(ctx, models.PolicyMaxReminders)
	if err != nil {
		return nil, err
	}
	out := map[int64][]string{}
	for _, id := range customerIDs {
		for _, p := range open[id] {
			out[id] = append(out[id], unconfirmedPolicyLine(p))
		}
	}
	return out, nil
}

// unconfirmedPolicyLine asks the owner rep to make sure the dealer has a policy.
func unconfirmedPolicyLine(p models.Policy) string {
	return fmt.Sprintf("请确认经销商已收到政策 #%d：%s（%s起）", p.ID, p.Text, p.Effective)
}
