package fakeagentcore

import (
	"encoding/xml"
	"fmt"
	"net/http"
)

// STSHandler answers STS GetCallerIdentity (the query protocol the SDK speaks) with account and arn, and refuses
// every other action: the plugin asks STS only who the caller is (the home screen's header, doctor's account
// check). Not a model of STS.
func STSHandler(account, arn, userID string) http.Handler {
	type result struct {
		Arn     string `xml:"Arn"`
		UserID  string `xml:"UserId"`
		Account string `xml:"Account"`
	}
	type resp struct {
		XMLName xml.Name `xml:"GetCallerIdentityResponse"`
		NS      string   `xml:"xmlns,attr"`
		Result  result   `xml:"GetCallerIdentityResult"`
		Meta    struct {
			RequestID string `xml:"RequestId"`
		} `xml:"ResponseMetadata"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		if r.Form.Get("Action") != "GetCallerIdentity" {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>this local STS only answers GetCallerIdentity</Message></Error><RequestId>local</RequestId></ErrorResponse>`)
			return
		}
		out := resp{NS: "https://sts.amazonaws.com/doc/2011-06-15/", Result: result{Arn: arn, UserID: userID, Account: account}}
		out.Meta.RequestID = "local"
		w.Header().Set("Content-Type", "text/xml")
		_ = xml.NewEncoder(w).Encode(out)
	})
}
