"""Rating service (好差评服务): once a case's one result was delivered, its applicant rates it once
(办完即评, 一事一评)."""
